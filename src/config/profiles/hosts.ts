import type { PathSegment } from "../diagnostics.js";
import { normalizeName } from "../dns-names.js";
import { formatIpv4, IPV4_EXPECTED, parseIpv4 } from "../ipv4.js";
import type { RecordData } from "../site.js";
import type { HostFile } from "./schema.js";
import type { ProfileContext, ProfileRecord } from "./types.js";
import { looksLikeIpv4 } from "./values.js";

/** A host setting of a profile, resolved: its absolute name and, when given, its address. */
export interface Host {
  readonly name: string;
  readonly address?: string;
  readonly path: readonly PathSegment[];
}

/**
 * `198.51.100.20` / `self` (the role's usual name at that address), `pool01` (a name in the DHCP
 * domain), `pool01.contoso.com` (absolute) or `{ name, address }`.
 */
export function resolveHost(
  ctx: ProfileContext,
  value: HostFile,
  path: readonly PathSegment[],
  defaultName: string,
): Host | undefined {
  let nameText: string | undefined;
  let addressText: string | undefined;
  let addressPath = path;
  if (typeof value === "string") {
    // Digits and dots are meant as an address, so a typo there is reported as one, not taken as a name.
    if (value === "self" || looksLikeIpv4(value)) addressText = value;
    else nameText = value;
  } else {
    nameText = value.name;
    addressText = value.address;
    addressPath = [...path, "address"];
  }
  let address: string | undefined;
  if (addressText !== undefined) {
    address = addressOf(ctx, addressText);
    if (address === undefined) {
      ctx.error(addressPath, `${IPV4_EXPECTED} or "self", got "${addressText}"`);
      return undefined;
    }
  }
  const name = hostName(ctx, nameText ?? defaultName);
  if (!name.ok) {
    ctx.error(typeof value === "string" ? path : [...path, "name"], name.error);
    return undefined;
  }
  return { name: name.name, ...(address === undefined ? {} : { address }), path };
}

/** A name without a dot lives in the DHCP domain (where the guide puts the pool, the DC and NTP). */
export function hostName(ctx: ProfileContext, text: string) {
  return normalizeName(text.includes(".") ? text : `${text}.${ctx.dhcpDomain}`);
}

export function addressOf(ctx: ProfileContext, text: string): string | undefined {
  if (text === "self") return formatIpv4(ctx.self);
  const value = parseIpv4(text);
  return value === undefined ? undefined : formatIpv4(value);
}

/** Collects a profile's records; the zone to create is the site domain that holds the name. */
export class RecordList {
  readonly records: ProfileRecord[] = [];
  constructor(private readonly ctx: ProfileContext) {}

  add(name: string, data: RecordData, path: readonly PathSegment[]): void {
    const zone = [this.ctx.sipDomain, this.ctx.dhcpDomain]
      .filter((d) => name === d || name.endsWith(`.${d}`))
      .sort((a, b) => b.length - a.length)[0];
    this.records.push({ name, data, path, zone: zone ?? "" });
  }

  /** The host's own A record, when it has an address. */
  addHost(host: Host): void {
    if (host.address !== undefined) this.add(host.name, { type: "A", address: host.address }, host.path);
  }

  /** `name` at the host: its address when known, else an alias of its name. */
  addAlias(name: string, host: Host): void {
    if (name === host.name) return;
    if (host.address !== undefined) this.add(name, { type: "A", address: host.address }, host.path);
    else this.add(name, { type: "CNAME", target: host.name }, host.path);
  }

  /** An SRV record to the host; `path` is the key that asked for it (default: the host's). */
  addSrv(name: string, priority: number, weight: number, port: number, host: Host, path = host.path): void {
    this.add(name, { type: "SRV", priority, weight, port, target: host.name }, path);
  }
}

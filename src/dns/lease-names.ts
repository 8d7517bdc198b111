/**
 * Lease host names in DNS (`dhcp.ddns`): which name each active lease holds, as A records in the
 * configured zone and PTR records in the reverse zone. The name comes from the reservation's
 * `name`, else from what the client sent (option 81's FQDN, else option 12). Conflict rule (in
 * the spirit of RFC 4701's DHCID check): a name defined in site.yaml is never taken, and a name
 * held by another client stays with its first owner; a refusal is an event. A name is freed when
 * its lease is released, expires, is declined or moves. Rebuilt from the lease store at start and
 * on reload, so names survive restarts.
 */

import { reverseName } from "../config/derive-dns.js";
import { isInZone, normalizeName } from "../config/dns-names.js";
import { formatIpv4 } from "../config/ipv4.js";
import type { LeaseDnsSettings, ResourceRecord, Site } from "../config/site.js";
import { reservationKey } from "../dhcp/client-identity.js";
import type { Lease } from "../dhcp/leases/lease.js";
import type { DnsNameEvent } from "../observe/events.js";

export interface LeaseName {
  /** Absolute, lowercase, no trailing dot. */
  readonly name: string;
  readonly address: number;
  readonly clientKey: string;
  readonly mac: string;
  readonly expiresAt: number;
}

export type NameDecision =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly reason: string };

/** RFC 952/1123 host name label: letters, digits and inner hyphens. */
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Longest client text considered: anything longer is refused without being parsed. */
const MAX_CLIENT_NAME = 253;

export class LeaseNames {
  #settings: LeaseDnsSettings | undefined;
  /** Owner names of every record in the site's zones: never given to a lease. */
  #defined = new Set<string>();
  /** Zone origins, longest first (as in DnsSite): a PTR is kept only when a zone holds it. */
  #origins: readonly string[] = [];
  /** Reservation key → the reservation's name. */
  #reservationNames = new Map<string, string>();
  readonly #byKey = new Map<string, LeaseName>();
  readonly #byName = new Map<string, LeaseName>();
  readonly #byAddress = new Map<number, LeaseName>();
  #version = 0;
  #records: readonly ResourceRecord[] = [];
  #recordsVersion = 0;

  /** Changes whenever the set of names does; the DNS authority re-renders when it moves. */
  get version(): number {
    return this.#version;
  }

  get enabled(): boolean {
    return this.#settings !== undefined;
  }

  get settings(): LeaseDnsSettings | undefined {
    return this.#settings;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /**
   * Takes the site's settings and names, forgets every lease name and takes them again from
   * `leases` (oldest lease first, so the first owner keeps a contested name).
   */
  rebuild(site: Site, leases: Iterable<Lease>, now: number): DnsNameEvent[] {
    this.#settings = site.dhcp.ddns;
    this.#defined = new Set(site.dns.zones.flatMap((z) => z.records.map((r) => r.name)));
    this.#origins = site.dns.zones.map((z) => z.origin);
    this.#reservationNames = new Map();
    for (const host of site.dhcp.hosts) {
      const key = reservationKey(host);
      if (host.name !== undefined && key !== undefined) this.#reservationNames.set(key, host.name);
    }
    this.#byKey.clear();
    this.#byName.clear();
    this.#byAddress.clear();
    this.#version++;
    const events: DnsNameEvent[] = [];
    if (!this.#settings) return events;
    const active = [...leases]
      .filter((l) => l.state === "active" && l.expiresAt > now)
      .sort((a, b) => a.start - b.start);
    for (const lease of active) {
      const event = this.apply(lease, now);
      if (event?.action === "refuse") events.push(event);
    }
    return events;
  }

  /**
   * The name a client would hold, with the conflict rule applied; undefined when it has none to
   * hold (no name sent and no reservation name, or lease names are off). Pure: the DHCP core asks
   * this to answer option 81 before the lease is written.
   */
  decide(clientKey: string, clientName: string | undefined, now: number): NameDecision | undefined {
    const candidate = this.#candidate(clientKey, clientName);
    if (candidate === undefined || !candidate.ok) return candidate;
    const name = candidate.name;
    if (this.#defined.has(name)) return { ok: false, reason: `${name} is defined in site.yaml` };
    const holder = this.#byName.get(name);
    if (holder && holder.clientKey !== clientKey && holder.expiresAt > now) {
      return { ok: false, reason: `${name} is held by ${holder.mac} (${formatIpv4(holder.address)})` };
    }
    return candidate;
  }

  /** Takes one lease write into account; returns what changed (undefined for nothing). */
  apply(lease: Lease, now: number): DnsNameEvent | undefined {
    if (!this.#settings) return undefined;
    const held = this.#byKey.get(lease.clientKey);
    if (lease.state !== "active" || lease.expiresAt <= now) {
      if (held === undefined || held.address !== lease.address) return undefined;
      this.#remove(held);
      return nameEvent("remove", now, held, lease.state === "active" ? "expired" : lease.state);
    }
    const decision = this.decide(lease.clientKey, lease.hostname, now);
    if (decision === undefined || !decision.ok) {
      if (held) this.#remove(held);
      if (decision === undefined) {
        return held ? nameEvent("remove", now, held, "the client sends no host name") : undefined;
      }
      const refused = {
        name: this.#clientName(lease.clientKey, lease.hostname) ?? "",
        address: lease.address,
        mac: lease.mac,
      };
      return nameEvent("refuse", now, refused, decision.reason);
    }
    const entry: LeaseName = {
      name: decision.name,
      address: lease.address,
      clientKey: lease.clientKey,
      mac: lease.mac,
      expiresAt: lease.expiresAt,
    };
    if (held && held.name === entry.name && held.address === entry.address) {
      // A renewal: same records, nothing to re-render.
      this.#put(entry);
      return undefined;
    }
    if (held) this.#remove(held);
    // An expired holder of the name, or a stale holder of the address, gives way.
    const stale = [this.#byName.get(entry.name), this.#byAddress.get(entry.address)];
    for (const other of stale) if (other) this.#remove(other);
    this.#put(entry);
    this.#version++;
    return nameEvent("add", now, entry);
  }

  /** Every name held, by address. */
  entries(): LeaseName[] {
    return [...this.#byKey.values()].sort((a, b) => a.address - b.address);
  }

  /** The A records and (with `reverse`) the PTR records of every name held. */
  records(): readonly ResourceRecord[] {
    if (this.#recordsVersion === this.#version) return this.#records;
    const settings = this.#settings;
    const out: ResourceRecord[] = [];
    if (settings) {
      for (const entry of this.#byKey.values()) {
        const address = formatIpv4(entry.address);
        out.push({ name: entry.name, ttl: settings.ttl, data: { type: "A", address } });
        if (!settings.reverse) continue;
        const ptr = reverseName(entry.address);
        if (this.#defined.has(ptr) || !this.#origins.some((o) => isInZone(ptr, o))) continue;
        out.push({ name: ptr, ttl: settings.ttl, data: { type: "PTR", target: entry.name } });
      }
    }
    this.#records = out;
    this.#recordsVersion = this.#version;
    return out;
  }

  /** The name a client asks for: its reservation's name, else the one it sent. */
  #clientName(clientKey: string, clientName: string | undefined): string | undefined {
    return this.#reservationNames.get(clientKey) ?? clientName;
  }

  /**
   * The FQDN for a client's name: a name inside the zone stays as it is; any other name gives its
   * first label, placed in the zone (dnsmasq's rule for a client's own domain).
   */
  #candidate(clientKey: string, clientName: string | undefined): NameDecision | undefined {
    const settings = this.#settings;
    const text = this.#clientName(clientKey, clientName);
    if (!settings || text === undefined || text === "") return undefined;
    const invalid: NameDecision = { ok: false, reason: "not a valid host name" };
    if (text.length > MAX_CLIENT_NAME) return invalid;
    const lower = text.toLowerCase().replace(/\.$/, "");
    const zone = settings.zone;
    const inZone = lower !== zone && isInZone(lower, zone);
    const wanted = inZone ? lower : `${lower.split(".")[0]}.${zone}`;
    const relative = wanted.slice(0, wanted.length - zone.length - 1);
    if (!relative.split(".").every((label) => HOST_LABEL.test(label))) return invalid;
    const checked = normalizeName(wanted);
    return checked.ok ? { ok: true, name: checked.name } : invalid;
  }

  #put(entry: LeaseName): void {
    this.#byKey.set(entry.clientKey, entry);
    this.#byName.set(entry.name, entry);
    this.#byAddress.set(entry.address, entry);
  }

  #remove(entry: LeaseName): void {
    if (this.#byKey.get(entry.clientKey) === entry) this.#byKey.delete(entry.clientKey);
    if (this.#byName.get(entry.name) === entry) this.#byName.delete(entry.name);
    if (this.#byAddress.get(entry.address) === entry) this.#byAddress.delete(entry.address);
    this.#version++;
  }
}

function nameEvent(
  action: DnsNameEvent["action"],
  at: number,
  entry: { readonly name: string; readonly address: number; readonly mac: string },
  reason?: string,
): DnsNameEvent {
  const event = {
    type: "dns.name" as const,
    at,
    action,
    name: entry.name,
    address: formatIpv4(entry.address),
    mac: entry.mac,
  };
  return reason === undefined ? event : { ...event, reason };
}

import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import ipaddr from "ipaddr.js";
import { deriveProvisioning } from "../provision/derive-provisioning.js";
import { controlToken, deriveLeaseDns } from "./derive-ddns.js";
import { deriveDhcp } from "./derive-dhcp.js";
import { deriveZones } from "./derive-dns.js";
import { deriveLeases } from "./derive-leases.js";
import { cidrsOf } from "./dhcp/subnets.js";
import { byPosition, type Diagnostic, formatPath, type PathSegment } from "./diagnostics.js";
import { normalizeName } from "./dns-names.js";
import { parseDuration } from "./durations.js";
import { checkHost } from "./host-check.js";
import type { HostNetwork } from "./host-network.js";
import { IPV4_EXPECTED, LOOPBACK, parseCidr, parseIpv4 } from "./ipv4.js";
import { expandProfiles } from "./profiles/expand.js";
import type { SiteFile } from "./schema.js";
import type { Cidr, NtpStratumMode, Site, Upstream } from "./site.js";
import { checkStructure, withoutPaths } from "./structure.js";
import { labTimeRecords } from "./time-names.js";
import { unusedSettings } from "./unused.js";
import { YamlSource } from "./yaml-source.js";

/** The largest TTL (RFC 2181 §8: 2^31 - 1 seconds). */
const MAX_TTL = 2147483647;

export type LoadResult =
  | { readonly ok: true; readonly site: Site; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[] };

export interface ParseOptions {
  /** SOA serial for generated SOA records (default: 1; loadSite uses the file's modification time). */
  readonly serial?: number;
  /** This host's interfaces and addresses: when given, what the file names and the host lacks is a warning. */
  readonly host?: HostNetwork;
}

/**
 * The one load path, used by `check`, `serve` and reload alike: YAML with positions → structure
 * (zod) → meaning (subnets, pools, reservations, options, records) → one immutable Site.
 * Every problem is collected; the Site exists only when there is no error.
 */
export function parseSite(text: string, file: string, options: ParseOptions = {}): LoadResult {
  const source = new YamlSource(text, file);
  const syntax = source.syntaxDiagnostics();
  if (syntax.some((d) => d.severity === "error")) return finish(syntax);

  const raw = source.toJS();
  const structure = checkStructure(source, raw);
  if (!structure.data) {
    // Check the meaning of everything that did have the right shape, so all problems show at once;
    // drop what follows from the values already reported.
    const again = checkStructure(source, withoutPaths(raw, structure.failed));
    const related = structure.failed.map((p) => formatPath(p));
    const meaning: Diagnostic[] = [];
    if (again.data) derive(source, again.data, meaning, options);
    const independent = meaning.filter(
      (d) =>
        !related.some(
          (p) =>
            d.path === p || d.path.startsWith(`${p}.`) || d.path.startsWith(`${p}[`) || p.startsWith(d.path),
        ),
    );
    return finish([...syntax, ...structure.diagnostics, ...independent]);
  }
  const diagnostics: Diagnostic[] = [...syntax];
  const site = derive(source, structure.data, diagnostics, options);
  return finish(diagnostics, site);
}

export async function loadSite(path: string, options: { host?: HostNetwork } = {}): Promise<LoadResult> {
  const file = resolve(path);
  let text: string;
  let serial: number;
  try {
    text = await readFile(file, "utf8");
    serial = Math.floor((await stat(file)).mtimeMs / 1000) >>> 0;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    return finish([
      {
        severity: "error",
        file: path,
        line: 1,
        col: 1,
        path: "",
        message: `cannot read the site file: ${reason}`,
      },
    ]);
  }
  return parseSite(text, path, { ...options, serial });
}

function finish(diagnostics: Diagnostic[], site?: Site): LoadResult {
  const sorted = [...diagnostics].sort(byPosition);
  const errors = sorted.filter((d) => d.severity === "error");
  const warnings = sorted.filter((d) => d.severity === "warning");
  if (errors.length > 0 || !site) return { ok: false, errors, warnings };
  return { ok: true, site, warnings };
}

function derive(source: YamlSource, file: SiteFile, diagnostics: Diagnostic[], options: ParseOptions): Site {
  const serial = options.serial ?? 1;
  const error = (path: PathSegment[], message: string) =>
    diagnostics.push(source.diagnostic("error", path, message));
  /** A duration; `ttl`: whole seconds a DNS TTL can hold (RFC 2181); else more than zero. */
  const seconds = (value: string | number, path: PathSegment[], fallback: number, kind?: "ttl"): number => {
    const s = parseDuration(value);
    if (s === undefined) {
      error(path, "expected a duration such as 10s");
      return fallback;
    }
    if (kind === "ttl" && (!Number.isInteger(s) || s > MAX_TTL)) {
      error(path, `a TTL is a whole number of seconds up to ${MAX_TTL}`);
      return fallback;
    }
    if (kind === undefined && s <= 0) {
      error(path, "expected a duration longer than zero");
      return fallback;
    }
    return s;
  };

  const domain = (value: string, path: PathSegment[]): string => {
    const n = normalizeName(value);
    if (!n.ok) error(path, n.error);
    return n.ok ? n.name : value;
  };
  const sipDomain = domain(file.site.sipDomain, ["site", "sipDomain"]);
  const dhcpDomain = domain(file.site.dhcpDomain, ["site", "dhcpDomain"]);
  const self = parseIpv4(file.listen.address) ?? 0;

  const bind = (file.listen.bind ?? [file.listen.address]).map((address, i) => {
    if (!isIpAddress(address))
      error(["listen", "bind", i], `${IPV4_EXPECTED} or an IPv6 address, got "${address}"`);
    return address;
  });
  // The control endpoint's URL is made from this address, so a host name other than localhost is refused.
  if (file.control.address !== "localhost" && !isIpAddress(file.control.address))
    error(
      ["control", "address"],
      `${IPV4_EXPECTED}, an IPv6 address or localhost, got "${file.control.address}"`,
    );
  diagnostics.push(...unusedSettings(source, file));
  if (options.host) diagnostics.push(...checkHost(source, file, options.host));
  if (bind.length === 0 && (file.dns.enabled || file.ntp.enabled)) {
    error(["listen", "bind"], "DNS and NTP need at least one address to bind to");
  }

  const profiles = expandProfiles(
    source,
    file.profiles,
    { sipDomain, dhcpDomain, self, ports: file.listen.ports },
    diagnostics,
  );
  const labTime = labTimeRecords(source, file.ntp.isolatedLab, self, file.ntp.enabled, diagnostics);
  const dhcp = deriveDhcp(source, file, self, diagnostics, profiles);
  const subnets = cidrsOf(dhcp.subnets);
  const defaultAllow = [...subnets, LOOPBACK];

  const forwarders: Upstream[] = [];
  file.dns.forward.forEach((text, i) => {
    const upstream = parseUpstream(text);
    if ("error" in upstream) error(["dns", "forward", i], upstream.error);
    else forwarders.push(upstream);
  });

  let nameserver = `siteboot.${dhcpDomain}`;
  if (file.dns.nameserver !== undefined) nameserver = domain(file.dns.nameserver, ["dns", "nameserver"]);
  const zones = deriveZones(
    source,
    {
      zones: file.dns.zones,
      defaultTtl: seconds(file.dns.ttl, ["dns", "ttl"], 3600, "ttl"),
      negativeTtl: seconds(file.dns.negativeTtl, ["dns", "negativeTtl"], 300, "ttl"),
      nameserver,
      self,
      subnets,
      forwarding: forwarders.length > 0,
      serial,
      generated: profiles.records,
      labTime,
      overridden: profiles.overridden,
    },
    diagnostics,
  );
  if (file.dns.enabled && zones.length === 0 && forwarders.length === 0) {
    diagnostics.push(
      source.diagnostic(
        "warning",
        ["dns"],
        "DNS is enabled with no zones and no forwarders: every query is REFUSED",
      ),
    );
  }

  const ddns = deriveLeaseDns(source, file, zones, subnets, diagnostics);
  const token = controlToken(source, file, diagnostics);
  const provisioning = deriveProvisioning(source, file, bind, diagnostics);

  const stratum: NtpStratumMode =
    file.ntp.stratum === "auto"
      ? { mode: "auto" }
      : file.ntp.stratum === "local"
        ? { mode: "local", stratum: file.ntp.localStratum }
        : { mode: "fixed", stratum: file.ntp.stratum };

  return Object.freeze({
    name: file.site.name,
    sipDomain,
    dhcpDomain,
    file: resolve(source.file),
    stateDir: file.stateDir,
    profiles: Object.freeze({
      profiles: profiles.profiles,
      overridden: Object.freeze(profiles.overridden),
      timeNames: Object.freeze(labTime.map((r) => r.name)),
    }),
    leases: deriveLeases(file.leases, error, seconds),
    listen: Object.freeze({
      address: file.listen.address,
      bind: Object.freeze(bind),
      interfaces: Object.freeze([...file.listen.interfaces]),
      ports: Object.freeze({ ...file.listen.ports }),
    }),
    control: Object.freeze({
      enabled: file.control.enabled,
      address: file.control.address,
      port: file.listen.ports.control,
      ...(token === undefined ? {} : { token }),
    }),
    log: Object.freeze({ level: file.log.level, eventLevel: file.log.events }),
    dhcp: ddns === undefined ? dhcp : Object.freeze({ ...dhcp, ddns }),
    dns: Object.freeze({
      enabled: file.dns.enabled,
      zones: Object.freeze(zones),
      forwarders: Object.freeze(forwarders),
      forwardAllow: Object.freeze(
        allowList(file.dns.forwardAllow, ["dns", "forwardAllow"], defaultAllow, error),
      ),
      forwardTimeoutMs: seconds(file.dns.forwardTimeout, ["dns", "forwardTimeout"], 2) * 1000,
      cacheEntries: file.dns.cacheSize,
      rateLimit: Object.freeze({ ...file.dns.rateLimit }),
      tcp: Object.freeze({
        idleTimeoutMs: seconds(file.dns.tcp.idleTimeout, ["dns", "tcp", "idleTimeout"], 10) * 1000,
        maxConnections: file.dns.tcp.maxConnections,
      }),
    }),
    ntp: Object.freeze({
      enabled: file.ntp.enabled,
      stratum,
      refid: file.ntp.refid,
      allow: Object.freeze(allowList(file.ntp.allow, ["ntp", "allow"], defaultAllow, error)),
      rateLimit: Object.freeze({ ...file.ntp.rateLimit }),
      maxClients: file.ntp.maxClients,
    }),
    ...(provisioning ? { provisioning } : {}),
  });
}

function allowList(
  entries: readonly string[] | undefined,
  path: PathSegment[],
  fallback: readonly Cidr[],
  error: (path: PathSegment[], message: string) => void,
): Cidr[] {
  if (entries === undefined) return [...fallback];
  const out: Cidr[] = [];
  entries.forEach((text, i) => {
    if (!text.includes("/") && parseIpv4(text) === undefined) {
      error([...path, i], `${IPV4_EXPECTED} or a network a.b.c.d/prefix, got "${text}"`);
      return;
    }
    const cidr = parseCidr(text.includes("/") ? text : `${text}/32`);
    if ("error" in cidr) error([...path, i], cidr.error);
    else out.push(cidr);
  });
  return out;
}

function isIpAddress(text: string): boolean {
  return parseIpv4(text) !== undefined || (ipaddr.IPv6.isValid(text) && !text.includes("%"));
}

/** "a.b.c.d", "a.b.c.d:port", "v6" or "[v6]:port". */
export function parseUpstream(text: string): Upstream | { error: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let address: string;
  let portText: string | undefined;
  if (bracketed) {
    address = bracketed[1] ?? "";
    portText = bracketed[2];
  } else if (text.split(":").length === 2) {
    [address, portText] = text.split(":") as [string, string];
  } else {
    address = text;
  }
  if (/^[\d.]+$/.test(address) && parseIpv4(address) === undefined)
    return { error: `${IPV4_EXPECTED} in the upstream "address" or "address:port", got "${text}"` };
  if (!isIpAddress(address))
    return { error: `expected an upstream "address" or "address:port", got "${text}"` };
  const port = portText === undefined ? 53 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return { error: `the port in "${text}" must be 1 to 65535` };
  return {
    address: parseIpv4(address) === undefined ? ipaddr.IPv6.parse(address).toString() : address,
    port,
  };
}

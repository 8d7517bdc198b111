import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import ipaddr from "ipaddr.js";
import { cidrsOf, deriveDhcp } from "./derive-dhcp.js";
import { deriveZones } from "./derive-dns.js";
import { deriveLeases } from "./derive-leases.js";
import { byPosition, type Diagnostic, formatPath, type PathSegment } from "./diagnostics.js";
import { normalizeName } from "./dns-names.js";
import { parseDuration } from "./durations.js";
import { LOOPBACK, parseCidr, parseIpv4 } from "./ipv4.js";
import type { SiteFile } from "./schema.js";
import type { Cidr, NtpStratumMode, Site, Upstream } from "./site.js";
import { checkStructure, withoutPaths } from "./structure.js";
import { YamlSource } from "./yaml-source.js";

export type LoadResult =
  | { readonly ok: true; readonly site: Site; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[] };

export interface ParseOptions {
  /** SOA serial for generated SOA records (default: 1; loadSite uses the file's modification time). */
  readonly serial?: number;
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
    if (again.data) derive(source, again.data, meaning, options.serial ?? 1);
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
  const site = derive(source, structure.data, diagnostics, options.serial ?? 1);
  return finish(diagnostics, site);
}

export async function loadSite(path: string): Promise<LoadResult> {
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
  return parseSite(text, path, { serial });
}

function finish(diagnostics: Diagnostic[], site?: Site): LoadResult {
  const sorted = [...diagnostics].sort(byPosition);
  const errors = sorted.filter((d) => d.severity === "error");
  const warnings = sorted.filter((d) => d.severity === "warning");
  if (errors.length > 0 || !site) return { ok: false, errors, warnings };
  return { ok: true, site, warnings };
}

function derive(source: YamlSource, file: SiteFile, diagnostics: Diagnostic[], serial: number): Site {
  const error = (path: PathSegment[], message: string) =>
    diagnostics.push(source.diagnostic("error", path, message));
  const seconds = (value: string | number, path: PathSegment[], fallback: number): number => {
    const s = parseDuration(value);
    if (s === undefined) {
      error(path, "expected a duration such as 10s");
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
      error(["listen", "bind", i], `expected an IPv4 or IPv6 address, got "${address}"`);
    return address;
  });
  if (bind.length === 0 && (file.dns.enabled || file.ntp.enabled)) {
    error(["listen", "bind"], "DNS and NTP need at least one address to bind to");
  }

  const dhcp = deriveDhcp(source, file, self, diagnostics);
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
      defaultTtl: seconds(file.dns.ttl, ["dns", "ttl"], 3600),
      negativeTtl: seconds(file.dns.negativeTtl, ["dns", "negativeTtl"], 300),
      nameserver,
      self,
      subnets,
      forwarding: forwarders.length > 0,
      serial,
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
    }),
    log: Object.freeze({ level: file.log.level, eventLevel: file.log.events }),
    dhcp,
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
    const cidr = parseCidr(text.includes("/") ? text : `${text}/32`);
    if ("error" in cidr) error([...path, i], `${cidr.error} (or a single IPv4 address)`);
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

import {
  encodeOptionValue,
  globToRegExp,
  type OptionDef,
  optionByCode,
  optionByName,
  optionNames,
  parseTypeSpec,
} from "../dhcp/options/index.js";
import { expandSelf } from "../provision/self-url.js";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { parseDuration } from "./durations.js";
import { broadcastOf, cidrContains, formatIpv4, IPV4_EXPECTED, parseCidr, parseIpv4 } from "./ipv4.js";
import { mergeProfileClasses, type ProfileExpansion } from "./profiles/expand.js";
import type { ClassFile, HostFile, SiteFile, SubnetFile } from "./schema.js";
import type {
  AddressRange,
  Cidr,
  ConfiguredOption,
  DhcpClass,
  DhcpHost,
  DhcpSite,
  DhcpSubnet,
  OptionLayer,
  OptionSet,
  VendorClassMatch,
} from "./site.js";
import { didYouMean } from "./suggest.js";
import type { YamlSource } from "./yaml-source.js";

/**
 * Codes the server itself owns: they are derived from the lease, the subnet or the request, so
 * setting them in site.yaml would only conflict.
 */
const MANAGED: ReadonlyMap<number, string> = new Map([
  [0, "pad"],
  [255, "end"],
  [50, "the requested address comes from the client"],
  [51, "set leaseTime instead"],
  [52, "option overload is decided per reply"],
  [53, "the message type is decided per reply"],
  [54, "the server identifier is this box's address (set listen.address or the subnet's server)"],
  [55, "the parameter request list comes from the client"],
  [57, "the maximum message size comes from the client"],
  [58, "set renewTime instead"],
  [59, "set rebindTime instead"],
  [61, "the client identifier comes from the client"],
  [82, "relay agent information comes from the relay and is echoed"],
]);

interface Context {
  readonly source: YamlSource;
  readonly diagnostics: Diagnostic[];
  readonly self: number;
  readonly ports: SiteFile["listen"]["ports"];
}

export function deriveDhcp(
  source: YamlSource,
  file: SiteFile,
  self: number,
  diagnostics: Diagnostic[],
  profiles?: ProfileExpansion,
): DhcpSite {
  const ctx: Context = { source, diagnostics, self, ports: file.listen.ports };
  const d = file.dhcp;
  const error = (path: PathSegment[], message: string, key = false) =>
    diagnostics.push(source.diagnostic("error", path, message, { key }));

  const globalOptions = new Map(deriveOptions(ctx, d.options, ["dhcp", "options"], "global"));
  if (!globalOptions.has(15)) {
    // The DHCP domain is option 15 unless the file says otherwise (the CX700 builds DNS names from it).
    addDerived(ctx, globalOptions, 15, file.site.dhcpDomain, ["site", "dhcpDomain"], "global");
  }

  const leaseTime = leaseSeconds(ctx, d.leaseTime, ["dhcp", "leaseTime"]) ?? 28800;
  const subnets: DhcpSubnet[] = [];
  d.subnets.forEach((s, index) => {
    const subnet = deriveSubnet(ctx, file, s, index, leaseTime);
    if (subnet) subnets.push(subnet);
  });
  checkSubnetOverlaps(ctx, subnets);
  checkPoolOverlaps(ctx, subnets);
  file.listen.interfaces.forEach((name, i) => {
    if (d.enabled && !subnets.some((s) => s.interface === name)) {
      diagnostics.push(
        source.diagnostic(
          "warning",
          ["listen", "interfaces", i],
          `no DHCP subnet is served on interface ${name}`,
        ),
      );
    }
  });

  const classes: DhcpClass[] = [];
  const classNames = new Set<string>();
  d.classes.forEach((c, index) => {
    const path: PathSegment[] = ["dhcp", "classes", index];
    if (classNames.has(c.name)) error([...path, "name"], `a class named "${c.name}" is defined twice`);
    classNames.add(c.name);
    classes.push(deriveClass(ctx, c, path));
  });

  // A subnet already refused would make every reservation in it look misplaced.
  const hosts = deriveHosts(ctx, d.hosts, subnets.length === d.subnets.length ? subnets : undefined);
  if (d.enabled && d.subnets.length === 0 && file.listen.interfaces.length > 0) {
    error(
      ["dhcp", "subnets"],
      "DHCP is enabled with interfaces to serve but no subnet; add one or set dhcp.enabled: false",
    );
  }

  return Object.freeze({
    enabled: d.enabled,
    subnets: Object.freeze(subnets),
    classes: Object.freeze(mergeProfileClasses(classes, profiles)),
    hosts: Object.freeze(hosts),
    options: globalOptions,
    offerHoldSeconds: seconds(ctx, d.offerHold, ["dhcp", "offerHold"]) ?? 30,
    declineProbationSeconds: seconds(ctx, d.declineProbation, ["dhcp", "declineProbation"]) ?? 600,
    authoritative: d.authoritative,
  });
}

function deriveSubnet(
  ctx: Context,
  file: SiteFile,
  s: SubnetFile,
  index: number,
  siteLease: number,
): DhcpSubnet | undefined {
  const path: PathSegment[] = ["dhcp", "subnets", index];
  const error = (sub: PathSegment[], message: string) =>
    ctx.diagnostics.push(ctx.source.diagnostic("error", [...path, ...sub], message));
  const cidr = parseCidr(s.subnet);
  if ("error" in cidr) {
    error(["subnet"], cidr.error);
    return undefined;
  }
  const inside = (address: number) =>
    cidrContains(cidr, address) && address !== cidr.network && address !== broadcastOf(cidr);
  const listenAddress = parseIpv4(file.listen.address) ?? 0;

  let iface = s.interface;
  if (iface !== undefined && !file.listen.interfaces.includes(iface)) {
    error(
      ["interface"],
      `interface ${iface} is not in listen.interfaces (${file.listen.interfaces.join(", ") || "empty"}); DHCP is served only there`,
    );
  }
  if (iface === undefined && file.listen.interfaces.length === 1 && cidrContains(cidr, listenAddress)) {
    iface = file.listen.interfaces[0];
  }

  let serverId = listenAddress;
  const server = s.server === undefined ? undefined : ipv4At(ctx, s.server, [...path, "server"]);
  if (server !== undefined) {
    // Served directly, the server identifier is this box's address on that LAN; behind a relay it
    // is whatever address of this box the relay forwards to, usually outside the subnet.
    if (iface !== undefined && !inside(server)) {
      error(
        ["server"],
        `${s.server} is not a host address inside ${cidr.text} (the subnet is served on ${iface})`,
      );
    }
    serverId = server;
  } else if (s.server === undefined && iface !== undefined && !cidrContains(cidr, listenAddress)) {
    error(
      ["subnet"],
      `listen.address ${file.listen.address} is not inside ${cidr.text}: set server: to this box's address in that subnet`,
    );
  }

  const router = s.router === undefined ? undefined : ipv4At(ctx, s.router, [...path, "router"]);
  if (router !== undefined && !inside(router))
    error(["router"], `the router ${s.router} is not a host address inside ${cidr.text}`);

  const pools: AddressRange[] = [];
  s.pools.forEach((text, i) => {
    const range = parseRange(text);
    if ("error" in range) {
      error(["pools", i], range.error);
      return;
    }
    if (!inside(range.first) || !inside(range.last)) {
      error(
        ["pools", i],
        `the pool ${text} is not inside ${cidr.text} (excluding its network and broadcast addresses)`,
      );
      return;
    }
    for (const [what, address] of [
      ["the router", router],
      ["this box (the server identifier)", serverId],
    ] as const) {
      if (address !== undefined && address >= range.first && address <= range.last) {
        error(["pools", i], `the pool ${text} contains ${what} ${formatIpv4(address)}`);
      }
    }
    pools.push(range);
  });

  // A lease time inherited from dhcp.leaseTime was checked there; the subnet's own is checked here.
  const leaseTimeSeconds =
    s.leaseTime === undefined
      ? siteLease
      : (leaseSeconds(ctx, s.leaseTime, [...path, "leaseTime"]) ?? siteLease);
  const renewSeconds =
    s.renewTime === undefined
      ? Math.floor(leaseTimeSeconds * 0.5)
      : (seconds(ctx, s.renewTime, [...path, "renewTime"]) ?? 0);
  const rebindSeconds =
    s.rebindTime === undefined
      ? Math.floor(leaseTimeSeconds * 0.875)
      : (seconds(ctx, s.rebindTime, [...path, "rebindTime"]) ?? 0);
  // The defaults are in order for any lease of 60 s or more, so only a time written here can break it.
  const timer =
    s.renewTime !== undefined ? "renewTime" : s.rebindTime !== undefined ? "rebindTime" : undefined;
  if (timer !== undefined && !(renewSeconds < rebindSeconds && rebindSeconds < leaseTimeSeconds)) {
    error(
      [timer],
      `expected renewTime (${renewSeconds}s) < rebindTime (${rebindSeconds}s) < leaseTime (${leaseTimeSeconds}s)`,
    );
  }

  const options = new Map(deriveOptions(ctx, s.options ?? {}, [...path, "options"], "subnet"));
  if (!options.has(1)) addDerived(ctx, options, 1, formatIpv4(cidr.mask), [...path, "subnet"], "subnet");
  if (router !== undefined && !options.has(3))
    addDerived(ctx, options, 3, [formatIpv4(router)], [...path, "router"], "subnet");

  return Object.freeze({
    index,
    cidr,
    ...(iface === undefined ? {} : { interface: iface }),
    serverId,
    ...(router === undefined ? {} : { router }),
    pools: Object.freeze(pools),
    leaseTimeSeconds,
    renewSeconds,
    rebindSeconds,
    options,
    source: ctx.source.at(path),
  });
}

function parseRange(text: string): AddressRange | { error: string } {
  const parts = text.split("-").map((p) => p.trim());
  if (parts.length !== 2) return { error: `expected an address range "first-last", got "${text}"` };
  const [first, last] = parts.map(parseIpv4);
  if (first === undefined || last === undefined) {
    const bad = first === undefined ? parts[0] : parts[1];
    return { error: `${IPV4_EXPECTED} on each side of "first-last", got "${bad}" in "${text}"` };
  }
  if (first > last) return { error: `the range ${text} ends before it starts` };
  return { first, last };
}

function checkSubnetOverlaps(ctx: Context, subnets: readonly DhcpSubnet[]): void {
  for (let i = 0; i < subnets.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = subnets[i]!;
      const b = subnets[j]!;
      if (cidrContains(a.cidr, b.cidr.network) || cidrContains(b.cidr, a.cidr.network)) {
        ctx.diagnostics.push(
          ctx.source.diagnostic(
            "error",
            ["dhcp", "subnets", a.index, "subnet"],
            `${a.cidr.text} overlaps ${b.cidr.text} (dhcp.subnets[${b.index}])`,
          ),
        );
      }
    }
  }
}

function checkPoolOverlaps(ctx: Context, subnets: readonly DhcpSubnet[]): void {
  const all = subnets.flatMap((s) => s.pools.map((range, i) => ({ range, subnet: s.index, pool: i })));
  for (let i = 0; i < all.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if (a.range.first <= b.range.last && b.range.first <= a.range.last) {
        ctx.diagnostics.push(
          ctx.source.diagnostic(
            "error",
            ["dhcp", "subnets", a.subnet, "pools", a.pool],
            `this pool overlaps dhcp.subnets[${b.subnet}].pools[${b.pool}] (${formatIpv4(b.range.first)}-${formatIpv4(b.range.last)})`,
          ),
        );
      }
    }
  }
}

function deriveClass(ctx: Context, c: ClassFile, path: PathSegment[]): DhcpClass {
  let match: VendorClassMatch;
  const exact = c.match.case === "exact";
  if ("vendor-class" in c.match) {
    const pattern = c.match["vendor-class"];
    match = { kind: "glob", pattern, regex: globToRegExp(pattern, exact), ...(exact ? { exact } : {}) };
  } else {
    const data = c.match.data;
    if (exact && data === undefined) {
      ctx.diagnostics.push(
        ctx.source.diagnostic("warning", [...path, "match", "case"], "case applies only to a data glob"),
      );
    }
    match = {
      kind: "enterprise",
      enterprise: c.match.enterprise,
      ...(data === undefined ? {} : { data: { pattern: data, regex: globToRegExp(data, exact) } }),
      ...(exact && data !== undefined ? { exact } : {}),
    };
  }
  return Object.freeze({
    name: c.name,
    match,
    options: new Map(deriveOptions(ctx, c.options, [...path, "options"], "class")),
    source: ctx.source.at(path),
  });
}

/** `subnets` is undefined when some subnet was refused: then where a reservation belongs is unknown. */
function deriveHosts(
  ctx: Context,
  hosts: readonly HostFile[],
  subnets: readonly DhcpSubnet[] | undefined,
): DhcpHost[] {
  const out: DhcpHost[] = [];
  const seen = {
    mac: new Map<string, number>(),
    clientId: new Map<string, number>(),
    address: new Map<number, number>(),
  };
  hosts.forEach((h, index) => {
    const path: PathSegment[] = ["dhcp", "hosts", index];
    const error = (sub: PathSegment[], message: string) =>
      ctx.diagnostics.push(ctx.source.diagnostic("error", [...path, ...sub], message));
    const mac = h.mac?.toLowerCase().replaceAll("-", ":");
    const clientId = h["client-id"]?.toLowerCase().replace(/[:-]/g, "");
    if (mac === undefined && clientId === undefined) error([], "a reservation needs a mac or a client-id");
    if (clientId !== undefined && clientId.length % 2 !== 0)
      error(["client-id"], "the client identifier must be whole octets");
    const duplicate = (kind: keyof typeof seen, key: string | number, sub: string, label: string) => {
      const earlier = (seen[kind] as Map<string | number, number>).get(key);
      if (earlier !== undefined) error([sub], `${label} is already reserved by dhcp.hosts[${earlier}]`);
      else (seen[kind] as Map<string | number, number>).set(key, index);
    };
    if (mac !== undefined) duplicate("mac", mac, "mac", `MAC ${mac}`);
    if (clientId !== undefined) duplicate("clientId", clientId, "client-id", `client-id ${clientId}`);

    let address: number | undefined;
    let subnetIndex: number | undefined;
    if (h.address !== undefined) {
      address = ipv4At(ctx, h.address, [...path, "address"]);
      if (address !== undefined) {
        duplicate("address", address, "address", `address ${h.address}`);
        const subnet = subnets?.find((s) => cidrContains(s.cidr, address as number));
        if (!subnet && subnets) {
          error(
            ["address"],
            `${h.address} is not inside any DHCP subnet (${subnets.map((s) => s.cidr.text).join(", ") || "none"})`,
          );
        } else if (subnet) {
          subnetIndex = subnet.index;
          if (address === subnet.cidr.network || address === broadcastOf(subnet.cidr)) {
            error(["address"], `${h.address} is the network or broadcast address of ${subnet.cidr.text}`);
          } else if (address === subnet.router || address === subnet.serverId) {
            error(
              ["address"],
              `${h.address} is the ${address === subnet.router ? "router" : "server"} address of ${subnet.cidr.text}`,
            );
          }
        }
      }
    }
    const options = new Map(deriveOptions(ctx, h.options ?? {}, [...path, "options"], "host"));
    if (h.name !== undefined && !options.has(12))
      addDerived(ctx, options, 12, h.name, [...path, "name"], "host");
    out.push(
      Object.freeze({
        ...(h.name === undefined ? {} : { name: h.name }),
        ...(mac === undefined ? {} : { mac }),
        ...(clientId === undefined ? {} : { clientId }),
        ...(address === undefined ? {} : { address }),
        ...(subnetIndex === undefined ? {} : { subnetIndex }),
        options,
        source: ctx.source.at(path),
      }),
    );
  });
  return out;
}

/** Options given by name or code; each value validated and encoded by its type from the option table. */
function deriveOptions(
  ctx: Context,
  options: Readonly<Record<string, unknown>>,
  path: PathSegment[],
  layer: OptionLayer,
): Array<[number, ConfiguredOption]> {
  const out: Array<[number, ConfiguredOption]> = [];
  const codes = new Map<number, string>();
  for (const [key, raw] of Object.entries(options)) {
    const here = [...path, key];
    const error = (message: string, onKey = false) =>
      ctx.diagnostics.push(ctx.source.diagnostic("error", here, message, { key: onKey }));
    let def: Pick<OptionDef, "type" | "array"> | undefined;
    let code: number;
    let name: string;
    let value: unknown = raw;
    if (/^\d+$/.test(key)) {
      code = Number(key);
      if (code < 1 || code > 254) {
        error(`option code ${key} is out of range; codes are 1 to 254`, true);
        continue;
      }
      const known = optionByCode(code);
      name = known?.name ?? `option-${code}`;
      const explicit = typed(raw);
      if (explicit) {
        const spec = parseTypeSpec(explicit.type);
        if ("error" in spec) {
          ctx.diagnostics.push(ctx.source.diagnostic("error", [...here, "type"], spec.error));
          continue;
        }
        def = spec;
        value = explicit.value;
      } else if (known) {
        def = known;
      } else {
        error(
          `option ${code} is not in the option table: give its type, e.g. { type: string, value: "..." }`,
        );
        continue;
      }
    } else {
      const known = optionByName(key);
      if (!known) {
        error(
          `unknown option "${key}"${didYouMean(key, optionNames())}; use a well-known name or a code`,
          true,
        );
        continue;
      }
      code = known.code;
      name = known.name;
      def = known;
    }
    const managed = MANAGED.get(code);
    if (managed !== undefined) {
      error(`option ${code} (${name}) is managed by the server: ${managed}`, true);
      continue;
    }
    if (codes.has(code)) {
      error(`option ${code} is set twice here (also as "${codes.get(code)}")`, true);
      continue;
    }
    codes.set(code, key);
    if (!def) continue;
    const encoded = encodeOptionValue(def, expandSelf(code, value, ctx.self, ctx.ports), { self: ctx.self });
    if (!encoded.ok) {
      const at = badItem(def, value, encoded.error, value === raw ? here : [...here, "value"]);
      ctx.diagnostics.push(ctx.source.diagnostic("error", at, `option ${code} (${name}): ${encoded.error}`));
      continue;
    }
    out.push([
      code,
      Object.freeze({
        code,
        name,
        type: def.array ? `${def.type}[]` : def.type,
        data: encoded.data,
        display: encoded.display,
        layer,
        source: ctx.source.at(here),
      }),
    ]);
  }
  return out;
}

/** The list item an option's error is about ("item N: …", or the one item of a list), else the value. */
function badItem(
  def: Pick<OptionDef, "array">,
  value: unknown,
  error: string,
  path: PathSegment[],
): PathSegment[] {
  if (!Array.isArray(value)) return path;
  const item = /^item (\d+): /.exec(error);
  if (item) return [...path, Number(item[1]) - 1];
  return def.array && value.length === 1 ? [...path, 0] : path;
}

function typed(raw: unknown): { type: string; value: unknown } | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const keys = Object.keys(raw);
  if (keys.length === 2 && keys.includes("type") && keys.includes("value")) {
    const { type, value } = raw as { type: unknown; value: unknown };
    if (typeof type === "string") return { type, value };
  }
  return undefined;
}

/** An option siteboot derives from another setting (subnet mask, router, domain, host name). */
function addDerived(
  ctx: Context,
  set: Map<number, ConfiguredOption>,
  code: number,
  value: unknown,
  path: PathSegment[],
  layer: OptionLayer,
) {
  const def = optionByCode(code);
  if (!def) return;
  const encoded = encodeOptionValue(def, value, { self: ctx.self });
  if (!encoded.ok) {
    ctx.diagnostics.push(
      ctx.source.diagnostic("error", path, `as option ${code} (${def.name}): ${encoded.error}`),
    );
    return;
  }
  set.set(
    code,
    Object.freeze({
      code,
      name: def.name,
      type: def.array ? `${def.type}[]` : def.type,
      data: encoded.data,
      display: encoded.display,
      layer,
      source: ctx.source.at(path),
    }),
  );
}

/** An address the schema has already checked; reported rather than dropped should the two ever disagree. */
function ipv4At(ctx: Context, text: string, path: PathSegment[]): number | undefined {
  const address = parseIpv4(text);
  if (address === undefined)
    ctx.diagnostics.push(ctx.source.diagnostic("error", path, `${IPV4_EXPECTED}, got "${text}"`));
  return address;
}

/** A lease time, refused where it is written when phones could not live with it. */
function leaseSeconds(ctx: Context, value: string | number, path: PathSegment[]): number | undefined {
  const s = seconds(ctx, value, path);
  if (s !== undefined && s < 60) {
    ctx.diagnostics.push(
      ctx.source.diagnostic("error", path, "a lease shorter than 60 seconds makes phones renew constantly"),
    );
  }
  return s;
}

function seconds(ctx: Context, value: string | number, path: PathSegment[]): number | undefined {
  const s = parseDuration(value);
  if (s === undefined || !Number.isInteger(s) || s > 0xffffffff) {
    ctx.diagnostics.push(
      ctx.source.diagnostic("error", path, "expected a whole number of seconds or a duration such as 8h"),
    );
    return undefined;
  }
  return s;
}

/** Merged options for one client, precedence host > class > subnet > global. */
export function layeredOptions(
  site: DhcpSite,
  subnet: DhcpSubnet | undefined,
  dhcpClass: DhcpClass | undefined,
  host: DhcpHost | undefined,
): OptionSet {
  const merged = new Map<number, ConfiguredOption>(site.options);
  for (const layer of [subnet?.options, dhcpClass?.options, host?.options]) {
    if (layer) for (const [code, option] of layer) merged.set(code, option);
  }
  return merged;
}

export function subnetOf(site: DhcpSite, address: number): DhcpSubnet | undefined {
  return site.subnets.find((s) => cidrContains(s.cidr, address));
}

export function cidrsOf(subnets: readonly DhcpSubnet[]): Cidr[] {
  return subnets.map((s) => s.cidr);
}

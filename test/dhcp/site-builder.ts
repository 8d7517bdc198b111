/**
 * Small Site fragments for DHCP tests: one lab subnet on `lab0` unless told otherwise. Option data
 * is given as wire bytes, exactly what the config layer derives.
 */
import { parseCidr, parseIpv4 } from "../../src/config/ipv4.js";
import type {
  Cidr,
  ConfiguredOption,
  DhcpClass,
  DhcpHost,
  DhcpSite,
  DhcpSubnet,
  OptionLayer,
  OptionSet,
  Site,
  VendorClassMatch,
} from "../../src/config/site.js";

const SOURCE = { file: "test-site.yaml", line: 1, col: 1 };

export function ip(text: string): number {
  const value = parseIpv4(text);
  if (value === undefined) throw new Error(`bad address ${text}`);
  return value;
}

export function cidr(text: string): Cidr {
  const value = parseCidr(text);
  if ("error" in value) throw new Error(value.error);
  return value;
}

export function ipBytes(...addresses: string[]): Uint8Array {
  const out = new Uint8Array(addresses.length * 4);
  addresses.forEach((a, i) => {
    new DataView(out.buffer).setUint32(i * 4, ip(a));
  });
  return out;
}

export function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/** RFC 1035 names without compression, as option 119 carries them. */
export function domainList(...names: string[]): Uint8Array {
  const bytes: number[] = [];
  for (const name of names) {
    for (const label of name.split(".")) bytes.push(label.length, ...text(label));
    bytes.push(0);
  }
  return Uint8Array.from(bytes);
}

export function options(layer: OptionLayer, entries: Record<number, Uint8Array>): OptionSet {
  const map = new Map<number, ConfiguredOption>();
  for (const [code, data] of Object.entries(entries)) {
    map.set(Number(code), {
      code: Number(code),
      name: `option-${code}`,
      type: "binary",
      data,
      display: Buffer.from(data).toString("hex"),
      layer,
      source: SOURCE,
    });
  }
  return map;
}

export interface SubnetSpec {
  cidr: string;
  interface?: string;
  serverId: string;
  router?: string;
  pools: [string, string][];
  leaseTime?: number;
  options?: Record<number, Uint8Array>;
}

export function subnet(spec: SubnetSpec, index = 0): DhcpSubnet {
  const lease = spec.leaseTime ?? 3600;
  return {
    index,
    cidr: cidr(spec.cidr),
    ...(spec.interface ? { interface: spec.interface } : {}),
    serverId: ip(spec.serverId),
    ...(spec.router ? { router: ip(spec.router) } : {}),
    pools: spec.pools.map(([first, last]) => ({ first: ip(first), last: ip(last) })),
    leaseTimeSeconds: lease,
    renewSeconds: Math.floor(lease / 2),
    rebindSeconds: Math.floor((lease * 7) / 8),
    options: options("subnet", spec.options ?? {}),
    source: SOURCE,
  };
}

export function glob(pattern: string): VendorClassMatch {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "s",
  );
  return { kind: "glob", pattern, regex };
}

export function dhcpClass(
  name: string,
  match: VendorClassMatch,
  opts: Record<number, Uint8Array>,
): DhcpClass {
  return { name, match, options: options("class", opts), source: SOURCE };
}

export function host(spec: {
  name?: string;
  mac?: string;
  clientId?: string;
  address?: string;
  options?: Record<number, Uint8Array>;
}): DhcpHost {
  return {
    ...(spec.name ? { name: spec.name } : {}),
    ...(spec.mac ? { mac: spec.mac } : {}),
    ...(spec.clientId ? { clientId: spec.clientId } : {}),
    ...(spec.address ? { address: ip(spec.address), subnetIndex: 0 } : {}),
    options: options("host", spec.options ?? {}),
    source: SOURCE,
  };
}

export interface SiteSpec {
  interfaces?: string[];
  subnets?: DhcpSubnet[];
  classes?: DhcpClass[];
  hosts?: DhcpHost[];
  options?: Record<number, Uint8Array>;
  offerHoldSeconds?: number;
  declineProbationSeconds?: number;
  authoritative?: boolean;
  stateDir?: string;
}

/** The lab: 198.51.100.0/24 on lab0, this box .2, router .1, pool .100–.199, like config/site.yaml. */
export const LAB_OPTIONS: Record<number, Uint8Array> = {
  6: ipBytes("198.51.100.2"),
  15: text("contoso.com"),
  42: ipBytes("198.51.100.2"),
  66: text("http://prov.contoso.com/"),
  119: domainList("contoso.com", "fabrikam.com"),
  150: ipBytes("198.51.100.2"),
};

export function labSubnet(overrides: Partial<SubnetSpec> = {}): DhcpSubnet {
  return subnet({
    cidr: "198.51.100.0/24",
    interface: "lab0",
    serverId: "198.51.100.2",
    router: "198.51.100.1",
    pools: [["198.51.100.100", "198.51.100.199"]],
    ...overrides,
  });
}

export function buildSite(spec: SiteSpec = {}): Site {
  const dhcp: DhcpSite = {
    enabled: true,
    subnets: spec.subnets ?? [labSubnet()],
    classes: spec.classes ?? [],
    hosts: spec.hosts ?? [],
    options: options("global", spec.options ?? LAB_OPTIONS),
    offerHoldSeconds: spec.offerHoldSeconds ?? 30,
    declineProbationSeconds: spec.declineProbationSeconds ?? 600,
    authoritative: spec.authoritative ?? true,
  };
  return {
    name: "test-lab",
    sipDomain: "fabrikam.com",
    dhcpDomain: "contoso.com",
    file: "/nonexistent/test-site.yaml",
    listen: {
      address: "198.51.100.2",
      bind: ["198.51.100.2"],
      interfaces: spec.interfaces ?? ["lab0"],
      ports: { dns: 53, dhcp: 67, ntp: 123, control: 8053 },
    },
    dhcp,
    dns: {
      enabled: false,
      zones: [],
      forwarders: [],
      forwardAllow: [],
      forwardTimeoutMs: 2000,
      cacheEntries: 0,
      rateLimit: { responsesPerSecond: 0, slip: 0 },
      tcp: { idleTimeoutMs: 10000, maxConnections: 1 },
    },
    ntp: {
      enabled: false,
      stratum: { mode: "local", stratum: 10 },
      refid: "LOCL",
      allow: [],
      rateLimit: { enabled: false, interval: 3, burst: 8, leak: 2, kod: false },
      maxClients: 1,
    },
    control: { enabled: false, address: "127.0.0.1", port: 0 },
    log: { level: "silent", eventLevel: "silent" },
    stateDir: spec.stateDir ?? "/nonexistent",
  };
}

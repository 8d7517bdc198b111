import type { PathSegment } from "../diagnostics.js";
import { broadcastOf, cidrContains, formatIpv4, IPV4_EXPECTED, parseCidr, parseIpv4 } from "../ipv4.js";
import type { SiteFile, SubnetFile } from "../schema.js";
import type { AddressRange, Cidr, DhcpSite, DhcpSubnet } from "../site.js";
import { type DeriveContext, ipv4At, leaseSeconds, seconds } from "./context.js";
import { addDerived, deriveOptions } from "./options.js";

/** One subnet: where it is served, its server identifier, router, pools, lease timers and options. */
export function deriveSubnet(
  ctx: DeriveContext,
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

export function subnetOf(site: DhcpSite, address: number): DhcpSubnet | undefined {
  return site.subnets.find((s) => cidrContains(s.cidr, address));
}

export function cidrsOf(subnets: readonly DhcpSubnet[]): Cidr[] {
  return subnets.map((s) => s.cidr);
}

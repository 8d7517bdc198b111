import { cidrContains, formatIpv4 } from "../ipv4.js";
import type { DhcpSubnet } from "../site.js";
import type { DeriveContext } from "./context.js";

export function checkSubnetOverlaps(ctx: DeriveContext, subnets: readonly DhcpSubnet[]): void {
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

export function checkPoolOverlaps(ctx: DeriveContext, subnets: readonly DhcpSubnet[]): void {
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

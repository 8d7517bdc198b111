/**
 * Dynamic address selection inside a subnet's pools. A rotating cursor per subnet makes the
 * common case (a pool that is not full) cheap and spreads addresses instead of reusing the one a
 * client just released. Addresses never leased before are preferred over reclaimed ones.
 */
import { broadcastOf } from "../config/ipv4.js";
import type { DhcpSubnet } from "../config/site.js";

export type Availability = "never-used" | "reusable" | "busy";

export class PoolAllocator {
  /** Next address to look at, per subnet CIDR text. */
  readonly #cursors = new Map<string, number>();

  /**
   * First never-used address from the cursor onwards, else the first reusable one; undefined when
   * every pool address is busy.
   */
  pick(subnet: DhcpSubnet, availability: (address: number) => Availability): number | undefined {
    const total = subnet.pools.reduce((n, p) => n + (p.last >= p.first ? p.last - p.first + 1 : 0), 0);
    if (total === 0) return undefined;
    const start = (this.#cursors.get(subnet.cidr.text) ?? 0) % total;
    const broadcast = broadcastOf(subnet.cidr);
    let reusable: number | undefined;
    for (let step = 0; step < total; step++) {
      const ordinal = (start + step) % total;
      const address = addressAt(subnet, ordinal);
      if (address === undefined) continue;
      if (address === subnet.cidr.network || address === broadcast) continue;
      if (address === subnet.serverId || address === subnet.router) continue;
      const state = availability(address);
      if (state === "never-used") {
        this.#cursors.set(subnet.cidr.text, ordinal + 1);
        return address;
      }
      if (state === "reusable" && reusable === undefined) reusable = address;
    }
    return reusable;
  }
}

function addressAt(subnet: DhcpSubnet, ordinal: number): number | undefined {
  let rest = ordinal;
  for (const pool of subnet.pools) {
    const size = pool.last >= pool.first ? pool.last - pool.first + 1 : 0;
    if (rest < size) return pool.first + rest;
    rest -= size;
  }
  return undefined;
}

export function inPools(subnet: DhcpSubnet, address: number): boolean {
  return subnet.pools.some((p) => address >= p.first && address <= p.last);
}

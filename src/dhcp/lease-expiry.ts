/**
 * Reclaiming leases: active leases past their end, and quarantined (declined) addresses past their
 * probation, become "expired". The core also treats a lease past its end as free, so how often this
 * runs never delays reuse; it keeps the store and the events true to what happened.
 */
import type { SitebootEvent } from "../observe/events.js";
import { leaseEvent } from "./dhcp-events.js";
import type { Lease } from "./leases/lease.js";
import type { LeaseStore } from "./leases/lease-store.js";

export function expiredLeases(
  leases: LeaseStore,
  now: number,
  limit: number,
): { writes: Lease[]; events: SitebootEvent[] } {
  const writes: Lease[] = [];
  const events: SitebootEvent[] = [];
  for (const lease of leases.all()) {
    if (writes.length >= limit) break;
    if ((lease.state === "active" || lease.state === "declined") && lease.expiresAt <= now) {
      writes.push({ ...lease, state: "expired" });
      if (lease.state === "active") {
        events.push(leaseEvent("expire", now, lease.mac, lease.address, lease.expiresAt));
      }
    }
  }
  return { writes, events };
}

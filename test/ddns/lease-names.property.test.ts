/**
 * Lease names under any sequence of lease writes (fast-check): one owner per name, never a name of
 * site.yaml, only names of active leases, the records match the names, a name held until its owner
 * lets go; and any client text is either refused or gives a valid name inside the zone.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isInZone, normalizeName } from "../../src/config/dns-names.js";
import type { Lease } from "../../src/dhcp/leases/lease.js";
import { LeaseNames } from "../../src/dns/lease-names.js";
import { loadDdnsSite } from "./ddns-harness.js";

const site = loadDdnsSite();
const NOW = 1_000_000;
const NAMES = ["alpha", "beta", "pool01", "Alpha.contoso.com", "gamma.example.org", "<b>x</b>", "", "a_b"];

const step = fc.record({
  client: fc.integer({ min: 0, max: 5 }),
  name: fc.option(fc.constantFrom(...NAMES), { nil: undefined }),
  state: fc.constantFrom("active", "active", "released", "expired", "declined"),
});

describe("lease names, any sequence of lease writes", () => {
  it("keeps one owner per name, no site.yaml name, only active leases, records in step", () => {
    const defined = new Set(site.dns.zones.flatMap((z) => z.records.map((r) => r.name)));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const names = new LeaseNames();
        names.rebuild(site, [], NOW);
        const active = new Map<string, Lease>();
        let at = NOW;
        for (const s of steps) {
          at += 1000;
          const lease: Lease = {
            address: 0xc6336464 + s.client,
            clientKey: `hw:1:02000000000${s.client}`,
            mac: `02:00:00:00:00:0${s.client}`,
            subnet: "198.51.100.0/24",
            state: s.state as Lease["state"],
            start: at,
            expiresAt: s.state === "active" ? at + 3_600_000 : at,
            ...(s.name === undefined ? {} : { hostname: s.name }),
          };
          const holderBefore = names.entries().find((e) => e.clientKey !== lease.clientKey);
          names.apply(lease, at);
          if (lease.state === "active") active.set(lease.clientKey, lease);
          else active.delete(lease.clientKey);
          const entries = names.entries();
          expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
          for (const entry of entries) {
            expect(defined.has(entry.name)).toBe(false);
            expect(isInZone(entry.name, "contoso.com")).toBe(true);
            expect(active.get(entry.clientKey)?.address).toBe(entry.address);
          }
          // Another client's name stays where it was.
          if (holderBefore) expect(entries).toContainEqual(holderBefore);
          const a = names.records().filter((r) => r.data.type === "A");
          expect(a.map((r) => r.name).sort()).toEqual(entries.map((e) => e.name).sort());
        }
      }),
    );
  });

  it("turns any client text into a refusal or a valid name in the zone, without throwing", () => {
    const names = new LeaseNames();
    names.rebuild(site, [], NOW);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const decision = names.decide("hw:1:020000000001", text, NOW);
        if (decision === undefined) return text === "";
        if (!decision.ok) return decision.reason.length > 0;
        return (
          normalizeName(decision.name).ok &&
          isInZone(decision.name, "contoso.com") &&
          decision.name !== "contoso.com"
        );
      }),
    );
  });
});

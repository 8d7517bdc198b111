import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Lease } from "./lease.js";
import { LeaseIndex } from "./lease-index.js";

function lease(address: number, clientKey: string, start: number, state: Lease["state"] = "active"): Lease {
  return { address, clientKey, mac: "", subnet: "10.0.0.0/24", state, start, expiresAt: start + 1000 };
}

describe("LeaseIndex", () => {
  it("returns the client's lease with the latest start, not the last one written", () => {
    const index = new LeaseIndex();
    index.set(lease(1, "c", 100));
    index.set(lease(2, "c", 200));
    index.set(lease(1, "c", 100, "expired")); // reclaiming the old row must not make it "most recent"
    expect(index.byClient("c")?.address).toBe(2);
  });

  it("breaks a tie on start by write order", () => {
    const index = new LeaseIndex();
    index.set(lease(1, "c", 100));
    index.set(lease(2, "c", 100));
    expect(index.byClient("c")?.address).toBe(2);
    index.set(lease(1, "c", 100, "released"));
    expect(index.byClient("c")?.address).toBe(1);
  });

  it("moves an address from one client to another", () => {
    const index = new LeaseIndex();
    index.set(lease(1, "a", 100));
    index.set(lease(1, "b", 50));
    expect(index.byClient("a")).toBeUndefined();
    expect(index.byClient("b")?.start).toBe(50);
    expect(index.size).toBe(1);
  });

  it("forgets a deleted address for its client and falls back to the client's other row", () => {
    const index = new LeaseIndex();
    index.set(lease(1, "a", 100));
    index.set(lease(2, "a", 200));
    expect(index.delete(2)).toBe(true);
    expect(index.delete(2)).toBe(false);
    expect(index.byClient("a")?.address).toBe(1);
    index.delete(1);
    expect(index.byClient("a")).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it("iterates in the order rows were last written, so a compaction keeps byClient's tie-break", () => {
    const index = new LeaseIndex();
    index.set(lease(1, "c", 0));
    index.set(lease(2, "c", 0));
    index.set(lease(1, "c", 0));
    expect([...index.values()].map((l) => l.address)).toEqual([2, 1]);
    const replayed = new LeaseIndex();
    for (const row of index.values()) replayed.set(row);
    expect(replayed.byClient("c")?.address).toBe(index.byClient("c")?.address);
  });

  it("agrees with a plain list model under any sequence of writes and deletes", () => {
    type Op = { put: true; address: number; client: string; start: number } | { put: false; address: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        put: fc.constant(true as const),
        address: fc.integer({ min: 1, max: 6 }),
        client: fc.constantFrom("a", "b", "c"),
        start: fc.integer({ min: 0, max: 3 }),
      }),
      fc.record({ put: fc.constant(false as const), address: fc.integer({ min: 1, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const index = new LeaseIndex();
        let rows: Lease[] = []; // write order, one row per address
        for (const o of ops) {
          rows = rows.filter((r) => r.address !== o.address);
          if (o.put) {
            const row = lease(o.address, o.client, o.start);
            rows.push(row);
            index.set(row);
          } else {
            index.delete(o.address);
          }
        }
        for (const client of ["a", "b", "c"]) {
          let best: Lease | undefined;
          for (const r of rows) if (r.clientKey === client && (!best || r.start >= best.start)) best = r;
          expect(index.byClient(client)).toBe(best);
        }
        expect([...index.values()]).toEqual(rows);
      }),
      { numRuns: 2000 },
    );
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LeaseStore } from "../../src/dhcp/leases/lease-store.js";
import { BASE, makeLease, sortedLeases } from "./lease-fixtures.js";

export interface LeaseStoreHarness {
  readonly store: LeaseStore;
  /** Closes the store and opens a new one on the same storage; absent for volatile backends. */
  readonly reopen?: () => Promise<LeaseStore>;
  readonly cleanup: () => Promise<void>;
}

/** The behaviour every LeaseStore backend must share (Kea runs one suite against each backend). */
export function describeLeaseStore(name: string, factory: () => Promise<LeaseStoreHarness>): void {
  describe(`LeaseStore contract: ${name}`, () => {
    let harness: LeaseStoreHarness;
    let store: LeaseStore;

    beforeEach(async () => {
      harness = await factory();
      store = harness.store;
      const { warnings } = await store.open();
      expect(warnings).toEqual([]);
    });

    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    it("starts empty", () => {
      expect(store.size).toBe(0);
      expect([...store.all()]).toEqual([]);
      expect(store.byAddress(BASE + 1)).toBeUndefined();
      expect(store.byClient("hw:1:0004f2000001")).toBeUndefined();
    });

    it("puts and reads back by address, by client, all and size", async () => {
      const a = makeLease(1, { hostname: "tanjay01", vendorClass: "Polycom-CX700" });
      const b = makeLease(2);
      await store.put(a);
      await store.put(b);
      expect(store.size).toBe(2);
      expect(store.byAddress(a.address)).toEqual(a);
      expect(store.byClient(b.clientKey)).toEqual(b);
      expect(sortedLeases(store.all())).toEqual([a, b]);
    });

    it("makes a put visible to reads before its promise resolves", async () => {
      const pending = store.put(makeLease(3));
      expect(store.byAddress(BASE + 3)?.state).toBe("active");
      await pending;
    });

    it("keeps its own copy: mutating the caller's object changes nothing", async () => {
      const lease = { ...makeLease(4) };
      await store.put(lease);
      (lease as { state: string }).state = "expired";
      expect(store.byAddress(BASE + 4)?.state).toBe("active");
    });

    it("lets the caller change leases while iterating all(), visiting each lease once", async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(makeLease(i))));
      const visited: number[] = [];
      for (const lease of store.all()) {
        visited.push(lease.address);
        await store.put({ ...lease, state: "expired" });
        if (lease.address === BASE + 9) await store.delete(BASE + 9);
      }
      expect(visited.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => BASE + i));
      expect([...store.all()].every((l) => l.state === "expired")).toBe(true);
      expect(store.size).toBe(9);
    });

    it("lets the later put win and records every state", async () => {
      await store.put(makeLease(5));
      for (const state of ["released", "expired", "declined", "active"] as const) {
        await store.put(makeLease(5, { state, expiresAt: 42 }));
        expect(store.byAddress(BASE + 5)).toEqual(makeLease(5, { state, expiresAt: 42 }));
      }
      expect(store.size).toBe(1);
    });

    it("gives a client's most recent lease and moves an address between clients", async () => {
      const old = makeLease(10, { clientKey: "id:01aa", start: 100, state: "expired" });
      const recent = makeLease(11, { clientKey: "id:01aa", start: 200 });
      await Promise.all([store.put(recent), store.put(old)]);
      expect(store.byClient("id:01aa")).toEqual(recent);
      await store.put(makeLease(11, { clientKey: "id:02bb", start: 300 }));
      expect(store.byClient("id:01aa")).toEqual(old);
      expect(store.byClient("id:02bb")?.address).toBe(BASE + 11);
    });

    it("deletes an address entirely, and deleting an unknown address is harmless", async () => {
      await store.put(makeLease(6));
      await store.put(makeLease(7));
      await store.delete(BASE + 6);
      await store.delete(BASE + 200);
      expect(store.byAddress(BASE + 6)).toBeUndefined();
      expect(store.byClient(makeLease(6).clientKey)).toBeUndefined();
      expect(store.size).toBe(1);
    });

    it("rejects something that is not a lease without changing state", async () => {
      await expect(store.put(makeLease(1, { address: -1 }))).rejects.toThrow(/address/);
      await expect(store.put(makeLease(1, { state: "leased" as never }))).rejects.toThrow(/state/);
      await expect(store.put(makeLease(1, { start: Number.NaN }))).rejects.toThrow(/start/);
      expect(store.size).toBe(0);
    });

    it("handles many concurrent puts and deletes", async () => {
      const puts = Array.from({ length: 500 }, (_, i) => store.put(makeLease(i % 250, { start: i })));
      await Promise.all(puts);
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.delete(BASE + i)));
      expect(store.size).toBe(200);
      for (let i = 50; i < 250; i++) expect(store.byAddress(BASE + i)?.start).toBe(i + 250);
    });

    it("compacts without changing what it holds", async () => {
      for (let i = 0; i < 20; i++) await store.put(makeLease(i % 5, { start: i }));
      const before = sortedLeases(store.all());
      await store.compact();
      expect(sortedLeases(store.all())).toEqual(before);
    });

    it("closes idempotently and refuses changes afterwards", async () => {
      await store.put(makeLease(1));
      await Promise.all([store.close(), store.close()]);
      await store.close();
      await expect(store.put(makeLease(2))).rejects.toThrow(/not open|closed/);
      expect(store.byAddress(BASE + 1)).toBeDefined();
    });

    it("survives a reopen: state, later-wins, deletes (persistent backends)", async (context) => {
      const reopen = harness.reopen;
      if (reopen === undefined) return context.skip("volatile backend");
      for (let i = 0; i < 30; i++)
        await store.put(makeLease(i % 10, { start: i, state: i % 2 ? "expired" : "active" }));
      await store.delete(BASE + 3);
      const expected = sortedLeases(store.all());
      store = await reopen();
      expect(sortedLeases(store.all())).toEqual(expected);
      expect(store.byClient(makeLease(4).clientKey)?.start).toBe(24);
      expect(store.byAddress(BASE + 3)).toBeUndefined();
    });
  });
}

import fc from "fast-check";
import { describe, it } from "vitest";
import type { Lease, LeaseState } from "../../src/dhcp/leases/lease.js";
import { FileLeaseStore, type LeaseStore, MemoryLeaseStore } from "../../src/dhcp/leases/lease-store.js";
import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";
import { BASE, sortedLeases, tempDir } from "./lease-fixtures.js";
import { usePgCluster } from "./pg-databases.js";

/** A random sequence of put/delete/compact/reopen leaves the store equal to a plain Map model. */

const pg = usePgCluster();

type Op =
  | { readonly op: "put"; readonly lease: Lease }
  | { readonly op: "delete"; readonly address: number }
  | { readonly op: "compact" }
  | { readonly op: "reopen" }
  | { readonly op: "burst"; readonly leases: readonly Lease[] };

const CLIENTS = ["id:01", "id:02", "hw:1:0004f2000001", "hw:1:0004f2000002", "id:ff"];
const arbAddress = fc.integer({ min: 0, max: 11 }).map((n) => BASE + n);
const arbLease: fc.Arbitrary<Lease> = fc.record({
  address: arbAddress,
  clientKey: fc.constantFrom(...CLIENTS),
  mac: fc.constant("00:04:f2:00:00:01"),
  subnet: fc.constant("192.168.7.0/24"),
  state: fc.constantFrom<LeaseState>("active", "released", "expired", "declined"),
  start: fc.integer({ min: 0, max: 5 }), // few values: exercises the tie-break of byClient
  expiresAt: fc.integer({ min: 0, max: 1000 }),
});
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: arbLease.map((lease) => ({ op: "put" as const, lease })) },
  { weight: 2, arbitrary: arbAddress.map((address) => ({ op: "delete" as const, address })) },
  { weight: 1, arbitrary: fc.constant({ op: "compact" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "reopen" as const }) },
  {
    weight: 1,
    arbitrary: fc.array(arbLease, { maxLength: 8 }).map((leases) => ({ op: "burst" as const, leases })),
  },
);

/** The model: address → lease and the order it was written in (for byClient's tie-break). */
class Model {
  readonly rows = new Map<number, { lease: Lease; seq: number }>();
  #seq = 0;
  put(lease: Lease): void {
    this.rows.set(lease.address, { lease, seq: this.#seq++ });
  }
  byClient(clientKey: string): Lease | undefined {
    let best: { lease: Lease; seq: number } | undefined;
    for (const row of this.rows.values()) {
      if (row.lease.clientKey !== clientKey) continue;
      if (
        best === undefined ||
        row.lease.start > best.lease.start ||
        (row.lease.start === best.lease.start && row.seq > best.seq)
      ) {
        best = row;
      }
    }
    return best?.lease;
  }
}

function check(store: LeaseStore, model: Model): void {
  const expected = sortedLeases([...model.rows.values()].map((r) => r.lease));
  const actual = sortedLeases(store.all());
  if (JSON.stringify(actual) !== JSON.stringify(expected) || store.size !== expected.length) {
    throw new Error(`state differs:\n${JSON.stringify(actual)}\n${JSON.stringify(expected)}`);
  }
  for (const lease of expected) {
    if (JSON.stringify(store.byAddress(lease.address)) !== JSON.stringify(lease))
      throw new Error("byAddress differs");
  }
  for (const client of CLIENTS) {
    const got = store.byClient(client);
    const want = model.byClient(client);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`byClient(${client}): ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
    }
  }
}

async function runOps(ops: readonly Op[], open: () => Promise<LeaseStore>): Promise<void> {
  const model = new Model();
  let store = await open();
  try {
    for (const step of ops) {
      switch (step.op) {
        case "put":
          model.put(step.lease);
          await store.put(step.lease);
          break;
        case "delete":
          model.rows.delete(step.address);
          await store.delete(step.address);
          break;
        case "burst":
          // Concurrent puts: one group commit; the last one issued wins.
          for (const lease of step.leases) model.put(lease);
          await Promise.all(step.leases.map((lease) => store.put(lease)));
          break;
        case "compact":
          await store.compact();
          break;
        case "reopen":
          await store.close();
          store = await open();
          break;
      }
      check(store, model);
    }
  } finally {
    await store.close();
  }
}

const SAME_ADDRESS_BURST: Lease[] = [
  {
    address: 3232237323,
    clientKey: "id:01",
    mac: "00:04:f2:00:00:01",
    subnet: "192.168.7.0/24",
    state: "active",
    start: 0,
    expiresAt: 0,
  },
  {
    address: 3232237323,
    clientKey: "hw:1:0004f2000001",
    mac: "00:04:f2:00:00:01",
    subnet: "192.168.7.0/24",
    state: "active",
    start: 3,
    expiresAt: 0,
  },
  {
    address: 3232237312,
    clientKey: "hw:1:0004f2000001",
    mac: "00:04:f2:00:00:01",
    subnet: "192.168.7.0/24",
    state: "active",
    start: 3,
    expiresAt: 0,
  },
];

describe("LeaseStore matches a Map model", () => {
  it("file backend (fsync on, compactEvery 5)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { maxLength: 40 }), async (ops) => {
        const { dir, remove } = await tempDir("siteboot-leases-prop-");
        try {
          await runOps(ops, async () => {
            const store = new FileLeaseStore({ dir, compactEvery: 5 });
            const { warnings } = await store.open();
            if (warnings.length > 0) throw new Error(`warnings: ${warnings.join("; ")}`);
            return store;
          });
        } finally {
          await remove();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("postgresql backend (one server; reopen reloads from the database)", async () => {
    const url = await pg.freshDatabase();
    const creator = new PgLeaseStore({ url }); // creates the schema the runs truncate
    await creator.open();
    await creator.close();
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { maxLength: 25 }), async (ops) => {
        await pg.cluster().psql("TRUNCATE siteboot_lease4", url.slice(url.lastIndexOf("/") + 1));
        await runOps(ops, async () => {
          const store = new PgLeaseStore({ url });
          await store.open();
          return store;
        });
      }),
      {
        numRuns: 50,
        // Found by this property: the first of two puts to one address in a burst, committed in an
        // earlier statement, put its older lease back in the cache and moved it in write order.
        examples: [[[{ op: "burst", leases: SAME_ADDRESS_BURST }]]],
      },
    );
  }, 120_000);

  it("memory backend", async () => {
    const store = () => new MemoryLeaseStore();
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { maxLength: 40 }), async (ops) => {
        // A volatile store cannot survive a reopen: model it without them.
        const volatile = ops.filter((o) => o.op !== "reopen");
        const instance = store();
        await runOps(volatile, async () => {
          await instance.open();
          return instance;
        });
      }),
      { numRuns: 200 },
    );
  });
});

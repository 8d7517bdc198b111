import { afterEach, describe, expect, it } from "vitest";
import type { Lease } from "../../src/dhcp/leases/lease.js";
import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";
import { PG_SCHEMA_VERSION } from "../../src/dhcp/leases/pg-schema.js";
import { RecordingSink } from "../../src/observe/events.js";
import { Metrics } from "../../src/observe/metrics.js";
import { BASE, makeLease, sortedLeases } from "./lease-fixtures.js";
import { usePgCluster } from "./pg-databases.js";

/** What only the shared-database backend does: conflicts, other instances' changes, reconnects. */

const pg = usePgCluster();
const opened: PgLeaseStore[] = [];

async function openStore(url: string, reconnectIntervalMs = 200): Promise<PgLeaseStore> {
  const store = new PgLeaseStore({ url, reconnectIntervalMs, connectTimeoutMs: 2000 });
  await store.open();
  opened.push(store);
  return store;
}

/** A store (not open yet) whose connection lines are kept, as the appliance would log them. */
function watchedStore(url: string, reconnectIntervalMs: number) {
  const lines: [boolean, string][] = [];
  const store = new PgLeaseStore({
    url,
    reconnectIntervalMs,
    connectTimeoutMs: 1000,
    onConnectionChange: (connected, detail) => lines.push([connected, detail]),
  });
  opened.push(store);
  return { store, lines };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const NOW = 1_700_000_000_000;

/** The appliance's metrics fed by the stores' events, and one of their values. */
function metricsOf(...stores: PgLeaseStore[]): (name: string) => Promise<number | undefined> {
  const metrics = new Metrics(() => []);
  for (const store of stores) store.reportTo({ emit: (event) => metrics.record(event) });
  return async (name) => {
    const line = (await metrics.text()).split("\n").find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  };
}

function dbName(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}

function active(n: number, clientKey: string, start = NOW): Lease {
  return makeLease(n, { clientKey, start, expiresAt: start + 3_600_000 });
}

describe("PgLeaseStore schema", () => {
  it("creates its tables and records the schema version once, however many instances start", async () => {
    const url = await pg.freshDatabase();
    await Promise.all([openStore(url), openStore(url), openStore(url)]);
    const rows = await pg.cluster().psql("SELECT version FROM siteboot_schema_version", dbName(url));
    expect(rows).toBe(String(PG_SCHEMA_VERSION));
  });

  it("refuses a database written by a newer siteboot and leaves it untouched", async () => {
    const url = await pg.freshDatabase();
    const first = await openStore(url);
    await first.put(active(1, "id:01aa"));
    await first.close();
    await pg.cluster().psql("INSERT INTO siteboot_schema_version (version) VALUES (99)", dbName(url));
    const store = new PgLeaseStore({ url });
    await expect(store.open()).rejects.toMatchObject({
      code: "SITEBOOT_ERR_LEASES_NEWER_FORMAT",
      message: expect.stringMatching(/schema version 99.*knows up to 1/),
    });
    expect(await pg.cluster().psql("SELECT count(*) FROM siteboot_lease4", dbName(url))).toBe("1");
  });

  it("opens without a reachable database, serving nothing and saying so, password not shown", async () => {
    const store = new PgLeaseStore({
      url: "postgresql://siteboot:s3cret@%2Fnonexistent-dir:5432/leases",
      connectTimeoutMs: 500,
    });
    opened.push(store);
    const { warnings } = await store.open();
    expect(warnings).toEqual([
      expect.stringMatching(
        /^lease store: PostgreSQL postgresql:\/\/siteboot:\*\*\*@%2Fnonexistent-dir:5432\/leases is unreachable at start \(.*ENOENT.*\); DHCP answers nothing until it is reached and its leases are loaded, trying again after 1 s, then at doubling intervals up to 30 s$/,
      ),
    ]);
    expect(warnings[0]).not.toContain("s3cret");
    expect(store.serving).toBe(false);
    expect(store.connected).toBe(false);
    await expect(store.put(active(1, "id:01"))).rejects.toMatchObject({
      code: "SITEBOOT_ERR_LEASES_UNAVAILABLE",
    });
  });

  it("refuses to open a database that does not exist (not a matter of waiting)", async () => {
    const url = pg.cluster().url.replace(/\/siteboot$/, "/no_such_database");
    const store = new PgLeaseStore({ url, connectTimeoutMs: 2000 });
    await expect(store.open()).rejects.toMatchObject({
      code: "SITEBOOT_ERR_LEASES_UNAVAILABLE",
      message: expect.stringMatching(/cannot use PostgreSQL .*no_such_database.*\(3D000\)/),
    });
    expect(store.serving).toBe(false);
  });
});

describe("PgLeaseStore with two instances on one database", () => {
  it("gives an address to one client only when two instances race for it", async () => {
    const url = await pg.freshDatabase();
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    const metric = metricsOf(a, b);
    for (let n = 0; n < 20; n++) {
      const results = await Promise.allSettled([a.put(active(n, `id:a${n}`)), b.put(active(n, `id:b${n}`))]);
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won, `address ${n}`).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ code: "SITEBOOT_ERR_LEASES_CONFLICT" });
      expect(String(lost.reason.message)).toMatch(/192\.168\.7\.\d+ is held by id:[ab]\d+/);
      // The loser's cache now shows the winner's row, and both caches agree.
      const winner = results[0]!.status === "fulfilled" ? `id:a${n}` : `id:b${n}`;
      await until(() => a.byAddress(BASE + n)?.clientKey === winner, "instance a to see the winner");
      expect(b.byAddress(BASE + n)?.clientKey).toBe(winner);
    }
    expect(a.stats.conflicts + b.stats.conflicts).toBe(20);
    expect(await metric("siteboot_leases_pg_conflicts_total")).toBe(20);
    expect(await metric("siteboot_leases_pg_connected")).toBe(1);
  });

  it("refuses a stale write over a lease another instance gave out, and refreshes the row", async () => {
    const url = await pg.freshDatabase();
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    await a.put(active(1, "id:01aa", NOW - 7_200_000));
    await until(() => b.byAddress(BASE + 1) !== undefined, "b to see the lease");
    // a's lease for id:01aa has ended; another instance gives the address to id:02bb. Its
    // notification is held back (replica mode fires no trigger), as if it were still on its way.
    await pg.cluster().psql(
      `SET session_replication_role = replica;
       UPDATE siteboot_lease4 SET client_key = 'id:02bb', start_ms = ${NOW}, expires_ms = ${NOW + 3_600_000},
         version = nextval('siteboot_lease4_version') WHERE address = ${BASE + 1}`,
      dbName(url),
    );
    expect(a.byAddress(BASE + 1)?.clientKey).toBe("id:01aa");
    // a reclaims its old view of the row (same client, old start): refused, and the row refreshed.
    const stale = { ...active(1, "id:01aa", NOW - 7_200_000), state: "expired" as const };
    await expect(a.put(stale)).rejects.toMatchObject({ code: "SITEBOOT_ERR_LEASES_CONFLICT" });
    expect(a.byAddress(BASE + 1)?.clientKey).toBe("id:02bb");
    expect(a.byAddress(BASE + 1)?.state).toBe("active");
  });

  it("lets another client take an address once its lease has ended or was released", async () => {
    const url = await pg.freshDatabase();
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    // Rows another instance wrote whose notifications b has not had yet: the rows' states decide.
    const row = (n: number, key: string, state: string, start: number) =>
      `(${BASE + n}, '${key}', 'm', '192.168.7.0/24', '${state}', ${start}, ${start + 3_600_000})`;
    await pg.cluster().psql(
      `SET session_replication_role = replica;
       INSERT INTO siteboot_lease4 (address, client_key, mac, subnet, state, start_ms, expires_ms) VALUES
       ${row(1, "id:01aa", "active", NOW - 7_200_000)}, ${row(2, "id:02aa", "released", NOW)},
       ${row(3, "id:03aa", "active", NOW)}, ${row(4, "id:04aa", "declined", NOW)}`,
      dbName(url),
    );
    expect(a.size + b.size).toBe(0);
    const results = await Promise.allSettled([
      b.put(active(1, "id:01bb")),
      b.put(active(2, "id:02bb")),
      b.put(active(3, "id:03bb")),
      b.put(active(4, "id:04bb")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
    expect(b.byAddress(BASE + 3)?.clientKey).toBe("id:03aa");
    expect(b.byAddress(BASE + 4)?.state).toBe("declined");
  });

  it("shows each instance the other's puts and deletes", async () => {
    const url = await pg.freshDatabase();
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    await Promise.all(Array.from({ length: 50 }, (_, i) => a.put(active(i, `id:${i}`))));
    // Every put reaches b before b deletes one: a notification that came after b's own delete
    // would (rightly) not be applied, and not be counted.
    await until(() => b.size === 50, "b to hold a's 50 leases");
    await b.delete(BASE + 7);
    await until(() => b.size === 49 && a.size === 49, "both caches to hold 49 leases");
    expect(sortedLeases(a.all())).toEqual(sortedLeases(b.all()));
    expect(b.stats.remoteChanges).toBe(50);
  });
});

describe("PgLeaseStore when the database refuses a statement", () => {
  it("fails the batch, restores the cached rows from the database and stays connected", async () => {
    const url = await pg.freshDatabase();
    const store = await openStore(url);
    await store.put(active(1, "id:01"));
    await pg
      .cluster()
      .psql(
        "ALTER TABLE siteboot_lease4 ADD CONSTRAINT no_forbidden CHECK (client_key <> 'id:forbidden')",
        dbName(url),
      );
    const refused = store.put(active(1, "id:forbidden", NOW + 1));
    expect(store.byAddress(BASE + 1)?.clientKey).toBe("id:forbidden");
    await expect(refused).rejects.toMatchObject({
      code: "SITEBOOT_ERR_LEASES_UNAVAILABLE",
      message: expect.stringMatching(/no_forbidden.*\(23514\)/),
    });
    expect(store.byAddress(BASE + 1)?.clientKey).toBe("id:01");
    expect(store.connected).toBe(true);
    await store.put(active(2, "id:02"));
    expect(store.size).toBe(2);
  });
});

describe("PgLeaseStore when the database is down at start", () => {
  it("serves nothing and logs a few lines until the database starts, then loads its leases and serves", async () => {
    const url = await pg.freshDatabase();
    const before = await openStore(url);
    await before.put(active(1, "id:01"));
    await before.close();
    const { store, lines } = watchedStore(url, 100);
    const events = new RecordingSink();
    const metric = metricsOf(store);
    await pg.cluster().stop("immediate");
    let warnings: readonly string[];
    try {
      ({ warnings } = await store.open());
      store.reportTo(events);
      expect(warnings).toEqual([expect.stringMatching(/unreachable at start .*DHCP answers nothing/)]);
      expect(store.serving).toBe(false);
      expect(store.size).toBe(0);
      await expect(store.put(active(2, "id:02"))).rejects.toMatchObject({
        code: "SITEBOOT_ERR_LEASES_UNAVAILABLE",
      });
      expect(await metric("siteboot_leases_pg_connected")).toBe(0);
      // Attempts after 100, 200, 400, 800 ms…: three lines, then quiet while the cause stays.
      await new Promise((resolve) => setTimeout(resolve, 3200));
      expect(lines.map(([connected]) => connected)).toEqual([false, false, false]);
      expect(lines[0]![1]).toMatch(/still unreachable \(.*\) after 1 attempt; next in 200 ms$/);
      expect(lines[2]![1]).toMatch(/after 3 attempts; next in 800 ms; further attempts are logged only/);
      expect(store.serving).toBe(false);
    } finally {
      await pg.cluster().start();
    }
    // The next attempt comes at most 3.2 s after the last one.
    await until(() => store.serving, "the store to connect", 8000);
    expect(store.connected).toBe(true);
    expect(lines.at(-1)).toEqual([
      true,
      expect.stringMatching(/reached after \d+ attempts, 1 leases loaded; DHCP answers from now on$/),
    ]);
    expect(store.byAddress(BASE + 1)?.clientKey).toBe("id:01");
    await store.put(active(2, "id:02"));
    expect(events.events.map((e) => e.type === "leases.pg" && e.action)).toEqual([
      "disconnected",
      "connected",
    ]);
    expect(await metric("siteboot_leases_pg_connected")).toBe(1);
    expect(await metric("siteboot_leases_pg_reconnects_total")).toBe(0);
    expect(store.stats.reconnects).toBe(0);
  }, 60_000);
});

describe("PgLeaseStore when the database goes away", () => {
  it("refuses puts while the database is down, reconnects and serves again with a reloaded cache", async () => {
    const url = await pg.freshDatabase();
    const { store, lines: changes } = watchedStore(url, 200);
    await store.open();
    const metric = metricsOf(store);
    await store.put(active(1, "id:01"));
    await pg.cluster().stop("immediate");
    try {
      // The put issued as the server dies, and every later one, is refused: no ACK without a commit.
      await expect(store.put(active(2, "id:02"))).rejects.toMatchObject({
        code: "SITEBOOT_ERR_LEASES_UNAVAILABLE",
      });
      await until(() => !store.connected, "the loss to be noticed");
      await expect(store.put(active(3, "id:03"))).rejects.toThrow(
        /unreachable.*reconnecting after 200 ms, then at doubling intervals up to 30 s/,
      );
      expect(changes[0]?.[0]).toBe(false);
      expect(await metric("siteboot_leases_pg_connected")).toBe(0);
    } finally {
      await pg.cluster().start();
    }
    await until(() => store.connected, "the reconnect", 15_000);
    expect(changes.at(-1)?.[0]).toBe(true);
    // The reload dropped the put that never committed and kept the committed one.
    expect(store.byAddress(BASE + 2)).toBeUndefined();
    expect(store.byAddress(BASE + 1)?.clientKey).toBe("id:01");
    await store.put(active(4, "id:04"));
    expect(store.stats.reconnects).toBe(1);
    expect(await metric("siteboot_leases_pg_reconnects_total")).toBe(1);
    expect(await metric("siteboot_leases_pg_connected")).toBe(1);
    const fresh = await openStore(url);
    expect(sortedLeases(fresh.all()).map((l) => l.clientKey)).toEqual(["id:01", "id:04"]);
  }, 60_000);
});

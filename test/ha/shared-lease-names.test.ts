/**
 * Two DHCP servers sharing one PostgreSQL lease database, each with its own DNS (`dhcp.ddns`): a
 * lease host name written through one is answered by the other as well, and withdrawn from both
 * when the lease goes; a name written while the other had lost its connection arrives there when
 * it reconnects (its cache reloaded).
 */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";
import { DdnsHarness, text } from "../ddns/ddns-harness.js";
import { until } from "../helpers/until.js";
import { usePgCluster } from "../leases/pg-databases.js";

const cluster = usePgCluster();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(
  url: string,
  reconnectIntervalMs = 100,
): Promise<{ harness: DdnsHarness; store: PgLeaseStore }> {
  const store = new PgLeaseStore({ url, reconnectIntervalMs, connectTimeoutMs: 2000 });
  const harness = await DdnsHarness.start(undefined, store);
  cleanups.push(async () => {
    await harness.stop();
    await store.close();
  });
  return { harness, store };
}

const answer = (h: DdnsHarness, name: string) => h.ask(name, "A").answer;

describe("lease host names with two servers on one lease database", () => {
  it("a name written through one server is answered by the other, and withdrawn from both", async () => {
    const url = await cluster.freshDatabase();
    const a = await server(url);
    const b = await server(url);
    const ack = await a.harness.lease("02:00:00:00:09:01", [[12, text("Desk9")]]);
    const expected = [`desk9.contoso.com. 300 A 198.51.100.${ack.yiaddr & 255}`];
    expect(answer(a.harness, "desk9.contoso.com")).toEqual(expected);
    await until(() => (answer(b.harness, "desk9.contoso.com").length > 0 ? true : undefined), "b's name");
    expect(answer(b.harness, "desk9.contoso.com")).toEqual(expected);
    expect(b.harness.nameEvents().map((e) => `${e.action} ${e.name}`)).toEqual(["add desk9.contoso.com"]);

    await a.harness.release("02:00:00:00:09:01", ack.yiaddr);
    expect(a.harness.ask("desk9.contoso.com", "A").rcode).toBe("NXDOMAIN");
    await until(
      () => (b.harness.ask("desk9.contoso.com", "A").rcode === "NXDOMAIN" ? true : undefined),
      "b's name withdrawn",
    );
  }, 60_000);

  it("a name written while the other server was cut off arrives there when it reconnects", async () => {
    const url = await cluster.freshDatabase();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    cleanups.push(() => admin.end());
    const sessions = async () =>
      new Set(
        (
          await admin.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'siteboot'",
          )
        ).rows.map((r) => r.pid),
      );
    const a = await server(url);
    const before = await sessions();
    const b = await server(url, 1000);
    const bSessions = [...(await sessions())].filter((pid) => !before.has(pid));
    expect(bSessions.length).toBeGreaterThan(0);
    // Cut b off (its listener included); it tries again after 1 s. a writes a lease meanwhile:
    // its notification reaches nobody on b's side.
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)", [
      bSessions,
    ]);
    await until(() => (b.store.connected ? undefined : true), "b to notice", 5_000);
    const ack = await a.harness.lease("02:00:00:00:09:02", [[12, text("Desk10")]]);
    expect(b.store.connected).toBe(false);
    await until(() => (answer(b.harness, "desk10.contoso.com").length > 0 ? true : undefined), "b's name");
    expect(answer(b.harness, "desk10.contoso.com")).toEqual([
      `desk10.contoso.com. 300 A 198.51.100.${ack.yiaddr & 255}`,
    ]);
  }, 60_000);
});

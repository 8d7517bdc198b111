import { afterEach, describe, expect, it } from "vitest";
import { DhcpMessageType } from "../../src/dhcp/packet.js";
import { Metrics } from "../../src/observe/metrics.js";
import { usePgCluster } from "../leases/pg-databases.js";
import { discover, type LabServer, mac, selecting, settle, startServer, typeOf } from "./ha-lab.js";

/**
 * Two siteboot DHCP servers (active/active) on one PostgreSQL database. Each server first hears
 * a different half of the clients' DISCOVERs, so both offer the same addresses to different
 * clients; every REQUEST then reaches both servers. The database decides: no address is ever
 * ACKed to two clients, losers are NAKed and get another address on their next DISCOVER.
 */

const pg = usePgCluster();
const servers: LabServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await server.service.stop();
    await server.store.close();
  }
});

describe("two servers on one lease database", () => {
  it("never gives one address to two clients while both offer the same addresses", async () => {
    const url = await pg.freshDatabase();
    const a = await startServer("a", url);
    const b = await startServer("b", url);
    servers.push(a, b);
    const CLIENTS = 80; // for a pool of 100
    const acked = new Map<number, Set<string>>(); // address → clients ACKed for it
    const bound = new Map<number, number>(); // client → address
    let naks = 0;
    let sameOffers = 0;
    for (let round = 0; round < 10 && bound.size < CLIENTS; round++) {
      const waiting = Array.from({ length: CLIENTS }, (_, n) => n).filter((n) => !bound.has(n));
      const xid = (n: number) => round * 1_000_000 + n;
      a.deliver(waiting.filter((n) => n % 2 === 0).map((n) => discover(n, xid(n))));
      b.deliver(waiting.filter((n) => n % 2 === 1).map((n) => discover(n, xid(n))));
      await settle([a, b]);
      const offers = new Map<number, number>();
      for (const reply of [...a.takeReplies(), ...b.takeReplies()]) {
        if (typeOf(reply) === DhcpMessageType.OFFER) offers.set(reply.xid % 1_000_000, reply.yiaddr);
      }
      const offered = [...offers.values()];
      sameOffers += offered.length - new Set(offered).size;
      const requests = [...offers].map(([n, address]) => selecting(n, xid(n), address));
      // Broadcast: every server hears every REQUEST, in opposite orders.
      a.deliver(requests);
      b.deliver([...requests].reverse());
      await settle([a, b]);
      for (const reply of [...a.takeReplies(), ...b.takeReplies()]) {
        const n = reply.xid % 1_000_000;
        if (typeOf(reply) === DhcpMessageType.NAK) naks++;
        if (typeOf(reply) !== DhcpMessageType.ACK) continue;
        const holders = acked.get(reply.yiaddr) ?? new Set<string>();
        holders.add(mac(n));
        acked.set(reply.yiaddr, holders);
        bound.set(n, reply.yiaddr);
      }
    }
    // Every client ends up bound, and no address went to two clients.
    expect(bound.size).toBe(CLIENTS);
    const shared = [...acked].filter(([, holders]) => holders.size > 1);
    expect(shared).toEqual([]);
    // The scenario did make the servers compete for addresses.
    expect(sameOffers).toBeGreaterThan(10);
    expect(naks).toBeGreaterThan(0);
    const conflicts = a.store.stats.conflicts + b.store.stats.conflicts;
    expect(conflicts).toBeGreaterThan(0);
    // The services pass their stores' events on: /metrics counts every lost race.
    const metrics = new Metrics(() => []);
    for (const event of [...a.events.events, ...b.events.events]) metrics.record(event);
    const text = await metrics.text();
    expect(text).toContain(`\nsiteboot_leases_pg_conflicts_total ${conflicts}\n`);
    expect(text).toContain("\nsiteboot_leases_pg_connected 1\n");
    // Both servers' caches and the database agree on every client's lease.
    await settle([a, b]);
    for (const [n, address] of bound) {
      for (const server of [a, b]) {
        const lease = server.store.byAddress(address);
        expect(lease?.mac, `${server.name} for client ${n}`).toBe(mac(n));
        expect(lease?.state).toBe("active");
      }
    }
    const rows = await pg
      .cluster()
      .psql(
        "SELECT count(*) FROM siteboot_lease4 WHERE state = 'active'",
        url.slice(url.lastIndexOf("/") + 1),
      );
    expect(Number(rows)).toBe(CLIENTS);
  }, 60_000);
});

import { createSocket } from "node:dgram";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";
import { usePgCluster } from "../leases/pg-databases.js";
import { freePort, killServers, LoadGenerator, printed, startChild } from "./udp-lab.js";

/**
 * Hot standby (`leases.mode: hot-standby`): of the servers sharing a database, only the one holding
 * the database's active lock answers; when it dies the standby takes over.
 */

const pg = usePgCluster();
const stores: PgLeaseStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(killServers);

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("hot standby on one database", () => {
  it("lets one store serve at a time, hands over when it closes, and survives a database restart", async () => {
    const url = await pg.freshDatabase();
    const roles: string[] = [];
    const open = async (name: string) => {
      const store = new PgLeaseStore({
        url,
        hotStandby: true,
        reconnectIntervalMs: 100,
        connectTimeoutMs: 1000,
        onRoleChange: (active) => roles.push(`${name} ${active ? "active" : "standby"}`),
      });
      stores.push(store);
      await store.open();
      return store;
    };
    const a = await open("a");
    const b = await open("b");
    expect([a.serving, b.serving]).toEqual([true, false]);
    await a.close();
    await until(() => b.serving, "b to take over");
    expect(roles).toEqual(["a active", "b active"]);
    const c = await open("c");
    expect(c.serving).toBe(false);
    await pg.cluster().stop("immediate");
    await until(() => !b.serving, "b to lose the lock with the database");
    await pg.cluster().start();
    await until(() => b.serving !== c.serving, "one of b and c to be active again", 15_000);
  }, 60_000);

  it("answers from the active server only, and from the standby once the active one is killed with -9", async () => {
    const url = await pg.freshDatabase();
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const clientPort = socket.address().port;
    const ports = [await freePort(), await freePort()];
    const servers = [];
    for (const port of ports) servers.push(await startChild(url, port, clientPort, "hot-standby"));
    const activeIndex = ports.findIndex((port) => /\nactive\n/.test(`\n${printed.get(port)}`));
    expect(activeIndex).toBeGreaterThanOrEqual(0);
    const load = new LoadGenerator(socket, ports);
    const serveClients = async (from: number, count: number) => {
      for (let client = from; client < from + count; client++) {
        load.start(client);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const deadline = Date.now() + 20_000;
      while (load.pending > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
    };
    try {
      await serveClients(0, 40);
      servers[activeIndex]!.kill("SIGKILL");
      await serveClients(40, 40);
    } finally {
      load.stop();
    }
    expect(load.pending).toBe(0);
    const repliedFrom = (clients: (n: number) => boolean) =>
      new Set(load.acks.filter((ack) => clients(ack.client)).map((ack) => ack.serverPort));
    expect([...repliedFrom((n) => n < 40)]).toEqual([ports[activeIndex]]);
    expect([...repliedFrom((n) => n >= 40)]).toEqual([ports[1 - activeIndex]]);
    expect(new Set(load.acks.map((ack) => ack.address)).size).toBe(80);
    // The standby neither answered nor offered while the active server ran: no NAK, no retry.
    expect(load.naks).toBe(0);
  }, 90_000);
});

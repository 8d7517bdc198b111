import { createSocket } from "node:dgram";
import { afterAll, describe, expect, it } from "vitest";
import { usePgCluster } from "../leases/pg-databases.js";
import { mac } from "./ha-lab.js";
import { freePort, killServers, LoadGenerator, printed, startChild } from "./udp-lab.js";

/**
 * Faults under load: two server processes on one database answer a bounded population of DHCP
 * clients over loopback; one server is killed with -9 and the database is restarted (an immediate
 * stop: a crash) while clients are being served. Afterwards every ACKed lease is in the database
 * for its client, and no address was ACKed to two clients.
 */

const pg = usePgCluster();
afterAll(killServers);

describe("two servers on one database under faults", () => {
  it("loses no ACKed lease and gives no address twice when a server is killed and the database restarted", async () => {
    const url = await pg.freshDatabase();
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const clientPort = socket.address().port;
    const [portA, portB] = [await freePort(), await freePort()];
    const serverA = await startChild(url, portA, clientPort);
    await startChild(url, portB, clientPort);
    const load = new LoadGenerator(socket, [portA, portB]);
    const CLIENTS = 200;
    const started = Date.now();
    let killedAt = 0;
    let dbDownAt = 0;
    let dbBackAt = 0;
    let restart: Promise<void> | undefined;
    try {
      for (let client = 0; client < CLIENTS; client++) {
        load.start(client);
        await new Promise((resolve) => setTimeout(resolve, 15));
        if (client === 50) {
          serverA.kill("SIGKILL");
          killedAt = Date.now();
        }
        if (client === 100) {
          // Clients keep arriving while the database is down and starting again.
          restart = (async () => {
            await pg.cluster().stop("immediate");
            dbDownAt = Date.now();
            await new Promise((resolve) => setTimeout(resolve, 1000));
            await pg.cluster().start();
            dbBackAt = Date.now();
          })();
        }
      }
      await restart;
      const deadline = Date.now() + 20_000;
      while (load.pending > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      load.stop();
    }
    expect(load.pending, "clients never bound").toBe(0);
    const bound = new Map<number, number>();
    for (const ack of load.acks) if (!bound.has(ack.client)) bound.set(ack.client, ack.address);
    expect(bound.size).toBe(CLIENTS);
    // Both faults happened while clients were being served, and B kept serving after each.
    expect(killedAt).toBeGreaterThan(started);
    expect(load.acks.some((a) => a.serverPort === portA && a.at < killedAt)).toBe(true);
    // Clients asked while the database was down: they were answered only after it came back.
    expect(load.retries).toBeGreaterThan(0);
    expect(load.acks.filter((a) => a.at > dbDownAt + 50 && a.at < dbBackAt)).toEqual([]);
    expect(load.acks.filter((a) => a.serverPort === portB && a.at > dbBackAt).length).toBeGreaterThan(10);
    // B noticed the database going away (then one line for each of its first failed attempts) and
    // came back to it.
    expect(printed.get(portB)).toMatch(/ready\nlost\n(lost\n){0,3}reconnected\n/);
    // No address ACKed to two clients.
    const holders = new Map<number, Set<number>>();
    for (const ack of load.acks)
      holders.set(ack.address, (holders.get(ack.address) ?? new Set()).add(ack.client));
    expect([...holders].filter(([, clients]) => clients.size > 1)).toEqual([]);
    // Every ACKed lease is in the database, active, for the client it was ACKed to.
    const rows = await pg
      .cluster()
      .psql(
        "SELECT address || ' ' || mac || ' ' || state FROM siteboot_lease4",
        url.slice(url.lastIndexOf("/") + 1),
      );
    const stored = new Map(
      rows.split("\n").map((line) => {
        const [address, rowMac, state] = line.split(" ");
        return [Number(address), `${rowMac} ${state}`];
      }),
    );
    const lost = load.acks.filter((ack) => stored.get(ack.address) !== `${mac(ack.client)} active`);
    expect(lost).toEqual([]);
  }, 90_000);
});

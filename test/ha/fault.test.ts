import { type ChildProcess, spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DhcpMessageType, decodePacket, messageTypeOf } from "../../src/dhcp/packet.js";
import { usePgCluster } from "../leases/pg-databases.js";
import { discover, mac, selecting } from "./ha-lab.js";

/**
 * Faults under load: two server processes on one database answer a bounded population of DHCP
 * clients over loopback; one server is killed with -9 and the database is restarted (an immediate
 * stop: a crash) while clients are being served. Afterwards every ACKed lease is in the database
 * for its client, and no address was ACKed to two clients.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const pg = usePgCluster();
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

async function freePort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  socket.close();
  return port;
}

/** What each server printed: "ready", then "lost" / "reconnected" as its database comes and goes. */
const printed = new Map<number, string>();

function startChild(url: string, serverPort: number, clientPort: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(here, "server-child.ts"), url, String(serverPort), String(clientPort)],
    { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      printed.set(serverPort, (printed.get(serverPort) ?? "") + chunk.toString());
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
}

interface Ack {
  readonly client: number;
  readonly address: number;
  readonly serverPort: number;
  readonly at: number;
}

/** A bounded population of clients: DISCOVER → first OFFER → REQUEST, retried on NAK or silence. */
class LoadGenerator {
  readonly acks: Ack[] = [];
  readonly #xids = new Map<number, number>(); // xid → client
  readonly #current = new Map<number, number>(); // client → current xid
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #nextXid = 1;
  naks = 0;
  retries = 0;

  constructor(
    readonly socket: Socket,
    readonly serverPorts: number[],
  ) {
    socket.on("message", (bytes, rinfo) => this.#reply(bytes, rinfo.port));
  }

  start(client: number): void {
    const xid = this.#nextXid++;
    const previous = this.#current.get(client);
    if (previous !== undefined) this.#xids.delete(previous);
    this.#xids.set(xid, client);
    this.#current.set(client, xid);
    this.#send(discover(client, xid));
    this.#arm(client);
  }

  #arm(client: number): void {
    clearTimeout(this.#timers.get(client));
    this.#timers.set(
      client,
      setTimeout(() => {
        this.retries++;
        this.start(client);
      }, 400),
    );
  }

  #send(bytes: Uint8Array): void {
    for (const port of this.serverPorts) this.socket.send(bytes, port, "127.0.0.1");
  }

  #reply(bytes: Buffer, serverPort: number): void {
    const decoded = decodePacket(bytes);
    if (!decoded.ok) return;
    const packet = decoded.packet;
    const client = this.#xids.get(packet.xid);
    if (client === undefined || this.#current.get(client) !== packet.xid) return;
    const type = messageTypeOf(packet);
    if (type === DhcpMessageType.OFFER) {
      // The first OFFER wins; later ones for this exchange are ignored, as a client does.
      const xid = this.#nextXid++;
      this.#xids.delete(packet.xid);
      this.#xids.set(xid, client);
      this.#current.set(client, xid);
      this.#send(selecting(client, xid, packet.yiaddr));
      this.#arm(client);
    } else if (type === DhcpMessageType.ACK) {
      this.acks.push({ client, address: packet.yiaddr, serverPort, at: Date.now() });
      clearTimeout(this.#timers.get(client));
      this.#timers.delete(client);
      this.#xids.delete(packet.xid);
      this.#current.delete(client);
    } else if (type === DhcpMessageType.NAK) {
      this.naks++;
      this.start(client);
    }
  }

  get pending(): number {
    return this.#current.size;
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.socket.close();
  }
}

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
    // B noticed the database going away and came back to it.
    expect(printed.get(portB)).toMatch(/ready\nlost\nreconnected\n/);
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

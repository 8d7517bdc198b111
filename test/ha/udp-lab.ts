import { type ChildProcess, spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DhcpMessageType, decodePacket, messageTypeOf } from "../../src/dhcp/packet.js";
import { discover, selecting } from "./ha-lab.js";

/**
 * Server processes (server-child.ts) answering over loopback UDP, and the bounded population of
 * clients that loads them, for the fault and hot-standby tests.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const children: ChildProcess[] = [];

/** Kills every server process still running (by its PID). */
export function killServers(): void {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

export async function freePort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  socket.close();
  return port;
}

/**
 * What each server printed: "ready", then "lost" / "reconnected" as its database comes and goes
 * ("lost" again for each of the first failed attempts).
 */
export const printed = new Map<number, string>();

export function startChild(
  url: string,
  serverPort: number,
  clientPort: number,
  mode: "active-active" | "hot-standby" = "active-active",
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(here, "server-child.ts"), url, String(serverPort), String(clientPort), mode],
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

export interface Ack {
  readonly client: number;
  readonly address: number;
  readonly serverPort: number;
  readonly at: number;
}

/** A bounded population of clients: DISCOVER → first OFFER → REQUEST, retried on NAK or silence. */
export class LoadGenerator {
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

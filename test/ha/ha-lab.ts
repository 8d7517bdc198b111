import { DhcpService } from "../../src/dhcp/dhcp-service.js";
import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";
import { DhcpMessageType, type DhcpPacket, messageTypeOf } from "../../src/dhcp/packet.js";
import type { InterfaceSocket } from "../../src/dhcp/transport.js";
import { RecordingSink } from "../../src/observe/events.js";
import { buildClientMessage, decodeReply, u32 } from "../dhcp/client-messages.js";
import { buildSite, labSubnet } from "../dhcp/site-builder.js";

/**
 * Servers sharing one lease database, each a real DhcpService with its own PgLeaseStore, answered
 * through in-memory sockets: the test plays the LAN, delivering each client's broadcast to every
 * server it should reach and collecting the replies.
 */

class LanSocket implements InterfaceSocket {
  readonly replies: DhcpPacket[] = [];
  constructor(readonly onDatagrams: (batch: Buffer[]) => void) {}
  send(bytes: Uint8Array, _address: string, _port: number, done: (error: Error | undefined) => void) {
    this.replies.push(decodeReply(bytes));
    done(undefined);
  }
  close() {}
}

export interface LabServer {
  readonly name: string;
  readonly store: PgLeaseStore;
  readonly service: DhcpService;
  readonly events: RecordingSink;
  deliver(messages: readonly Uint8Array[]): void;
  /** Replies sent since the last call. */
  takeReplies(): DhcpPacket[];
}

export async function startServer(
  name: string,
  url: string,
  poolLast = "198.51.100.199",
): Promise<LabServer> {
  const store = new PgLeaseStore({ url, reconnectIntervalMs: 200, connectTimeoutMs: 2000 });
  await store.open();
  const events = new RecordingSink();
  let socket: LanSocket | undefined;
  const site = buildSite({ subnets: [labSubnet({ pools: [["198.51.100.100", poolLast]] })] });
  const service = new DhcpService(site, {
    events,
    leases: store,
    reclaimIntervalMs: 3_600_000,
    openSocket: (_iface, _port, onDatagrams) => {
      socket = new LanSocket(onDatagrams);
      return socket;
    },
  });
  await service.start();
  let taken = 0;
  return {
    name,
    store,
    service,
    events,
    deliver: (messages) => socket?.onDatagrams(messages.map((m) => Buffer.from(m))),
    takeReplies: () => {
      const all = socket?.replies ?? [];
      const fresh = all.slice(taken);
      taken = all.length;
      return fresh;
    },
  };
}

export const SERVER_ID = 0xc6336402; // 198.51.100.2

export function mac(n: number): string {
  return `02:00:00:${((n >> 16) & 255).toString(16).padStart(2, "0")}:${((n >> 8) & 255).toString(16).padStart(2, "0")}:${(n & 255).toString(16).padStart(2, "0")}`;
}

export function discover(n: number, xid: number): Uint8Array {
  return buildClientMessage({ type: DhcpMessageType.DISCOVER, mac: mac(n), xid });
}

export function selecting(n: number, xid: number, address: number): Uint8Array {
  return buildClientMessage({
    type: DhcpMessageType.REQUEST,
    mac: mac(n),
    xid,
    options: [
      [54, u32(SERVER_ID)],
      [50, u32(address)],
    ],
  });
}

export function typeOf(packet: DhcpPacket): number | undefined {
  return messageTypeOf(packet);
}

/** Waits until no server sent anything for `quietMs` (bounded by `maxMs`). */
export async function settle(servers: readonly LabServer[], quietMs = 150, maxMs = 15_000): Promise<void> {
  const count = () => servers.reduce((n, s) => n + s.events.events.length, 0);
  const deadline = Date.now() + maxMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

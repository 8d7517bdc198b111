/**
 * DhcpService with fake sockets (no network at all): the ACK leaves only after the lease write
 * resolves, a failed write withholds it, and every message yields exactly one dhcp.message event.
 */
import { describe, expect, it } from "vitest";
import { DhcpService } from "../../src/dhcp/dhcp-service.js";
import type { Lease } from "../../src/dhcp/leases/lease.js";
import { MemoryLeaseStore } from "../../src/dhcp/leases/memory-lease-store.js";
import { DhcpMessageType } from "../../src/dhcp/packet.js";
import type { InterfaceSocket } from "../../src/dhcp/transport.js";
import { RecordingSink } from "../../src/observe/events.js";
import { buildClientMessage, decodeReply, u32 } from "./client-messages.js";
import { buildSite, ip } from "./site-builder.js";

class FakeSocket implements InterfaceSocket {
  readonly sent: { bytes: Uint8Array; port: number; address: string }[] = [];
  constructor(readonly onDatagrams: (batch: Buffer[]) => void = () => {}) {}
  send(bytes: Uint8Array, address: string, port: number, done: (error: Error | undefined) => void) {
    this.sent.push({ bytes, port, address });
    done(undefined);
  }
  close() {}
  deliver(...messages: Uint8Array[]) {
    this.onDatagrams(messages.map((bytes) => Buffer.from(bytes)));
  }
}

/** A memory store whose puts wait until released (or fail). */
class GatedStore extends MemoryLeaseStore {
  readonly gates: { lease: Lease; release: () => void; fail: (e: Error) => void }[] = [];
  override put(lease: Lease): Promise<void> {
    return new Promise((resolve, reject) => {
      this.gates.push({
        lease,
        release: () => {
          void super.put(lease).then(resolve, reject);
        },
        fail: reject,
      });
    });
  }
}

async function setup(store = new GatedStore()) {
  await store.open();
  const events = new RecordingSink();
  const sockets = new Map<string, FakeSocket>();
  const service = new DhcpService(buildSite(), {
    events,
    leases: store,
    openSocket: (iface, _port, onDatagrams) => {
      const socket = new FakeSocket(onDatagrams);
      sockets.set(iface, socket);
      return socket;
    },
  });
  await service.start();
  return { service, store, events, socket: sockets.get("lab0")! };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("DhcpService", () => {
  it("answers the requests of one read first, then its DISCOVERs newest first", async () => {
    const { service, events, socket } = await setup();
    const discover = (n: number) =>
      buildClientMessage({ type: DhcpMessageType.DISCOVER, mac: `02:00:00:00:01:0${n}` });
    const inform = buildClientMessage({
      type: DhcpMessageType.INFORM,
      mac: "02:00:00:00:01:09",
      ciaddr: ip("198.51.100.60"),
    });
    socket.deliver(discover(1), discover(2), inform, discover(3));
    await tick();
    const handled = events.events.flatMap((e) =>
      e.type === "dhcp.message" ? [`${e.message} ${e.mac.slice(-2)}`] : [],
    );
    expect(handled).toEqual(["INFORM 09", "DISCOVER 03", "DISCOVER 02", "DISCOVER 01"]);
    expect(socket.sent).toHaveLength(4);
    await service.stop();
  });

  it("opens one socket per served interface and sends the ACK only once the lease is stored", async () => {
    const { service, store, events, socket } = await setup();
    socket.deliver(buildClientMessage({ type: DhcpMessageType.DISCOVER, mac: "02:00:00:00:00:01" }));
    await tick();
    expect(socket.sent).toHaveLength(1);
    const offer = decodeReply(socket.sent[0]!.bytes);
    expect(socket.sent[0]).toMatchObject({ address: "255.255.255.255", port: 68 });
    socket.deliver(
      buildClientMessage({
        type: DhcpMessageType.REQUEST,
        mac: "02:00:00:00:00:01",
        options: [
          [54, u32(ip("198.51.100.2"))],
          [50, u32(offer.yiaddr)],
        ],
      }),
    );
    await tick();
    expect(store.gates).toHaveLength(1);
    expect(socket.sent).toHaveLength(1); // no ACK yet: the write is not durable
    expect(events.events.filter((e) => e.type === "dhcp.lease")).toHaveLength(0);
    store.gates[0]!.release();
    await tick();
    expect(socket.sent).toHaveLength(2);
    expect(decodeReply(socket.sent[1]!.bytes).options.get(53)?.[0]).toBe(DhcpMessageType.ACK);
    const messages = events.events.filter((e) => e.type === "dhcp.message");
    expect(messages.map((e) => [e.message, e.reply])).toEqual([
      ["DISCOVER", "OFFER"],
      ["REQUEST", "ACK"],
    ]);
    expect(events.events.filter((e) => e.type === "dhcp.lease")).toHaveLength(1);
    await service.stop();
  });

  it("withholds the ACK when the lease write fails and says why", async () => {
    const { service, store, events, socket } = await setup();
    socket.deliver(
      buildClientMessage({
        type: DhcpMessageType.REQUEST,
        mac: "02:00:00:00:00:02",
        options: [
          [54, u32(ip("198.51.100.2"))],
          [50, u32(ip("198.51.100.150"))],
        ],
      }),
    );
    await tick();
    store.gates[0]!.fail(new Error("disk full"));
    await tick();
    expect(socket.sent).toHaveLength(0);
    expect(events.events).toContainEqual(
      expect.objectContaining({ type: "service.error", detail: "disk full" }),
    );
    expect(events.events).toContainEqual(
      expect.objectContaining({ type: "dhcp.message", reply: null, replyReason: "lease store write failed" }),
    );
    await service.stop();
  });

  it("keeps serving after garbage datagrams", async () => {
    const { service, socket } = await setup(new GatedStore());
    socket.deliver(Uint8Array.of(1, 2, 3));
    socket.deliver(new Uint8Array(600).fill(0xff));
    socket.deliver(buildClientMessage({ type: DhcpMessageType.DISCOVER, mac: "02:00:00:00:00:03" }));
    await tick();
    expect(socket.sent).toHaveLength(1);
    await service.stop();
  });

  it("reclaims expired leases with an event", async () => {
    const store = new MemoryLeaseStore();
    await store.open();
    await store.put({
      address: ip("198.51.100.120"),
      clientKey: "hw:1:020000000004",
      mac: "02:00:00:00:00:04",
      subnet: "198.51.100.0/24",
      state: "active",
      start: 0,
      expiresAt: 1000,
    });
    const events = new RecordingSink();
    const service = new DhcpService(buildSite(), {
      events,
      leases: store,
      now: () => 5000,
      openSocket: () => new FakeSocket(),
    });
    await service.start();
    await tick();
    expect(store.byAddress(ip("198.51.100.120"))?.state).toBe("expired");
    expect(events.events).toContainEqual(expect.objectContaining({ type: "dhcp.lease", action: "expire" }));
    await service.stop();
  });
});

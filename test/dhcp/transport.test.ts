/**
 * The device-socket transport on the loopback device: requests arrive in batches and each is a
 * copy of its own; replies leave through the native sendto() and reach the addressee byte for
 * byte; a bad destination is an error for the caller, never a throw. The send backlog keeps order
 * while the kernel's queue is full and gives up on a reply after a bound.
 */
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InterfaceSockets, openDeviceSocket, SendBacklog } from "../../src/dhcp/transport.js";

const isRoot = process.getuid?.() === 0;
const opened: { close(): unknown }[] = [];

afterEach(async () => {
  for (const thing of opened.splice(0)) await thing.close();
});

function listener(): Promise<{ port: number; next: () => Promise<Buffer> }> {
  const socket = dgram.createSocket("udp4");
  opened.push(socket);
  const queue: Buffer[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  socket.on("message", (bytes) => {
    const take = waiting.shift();
    if (take) take(bytes);
    else queue.push(bytes);
  });
  return new Promise((resolve) =>
    socket.bind(0, "127.0.0.1", () =>
      resolve({
        port: (socket.address() as AddressInfo).port,
        next: () => {
          const queued = queue.shift();
          return queued ? Promise.resolve(queued) : new Promise((r) => waiting.push(r));
        },
      }),
    ),
  );
}

/** A device socket on `lo` at `port` (0: the kernel picks, for sending only): loopback traffic only. */
function openLoopback(
  port = 0,
  onMessage: (batch: Buffer[], iface: string) => void = () => {},
): InterfaceSockets {
  const sockets = InterfaceSockets.open(["lo"], port, onMessage, () => {}, openDeviceSocket);
  opened.push(sockets);
  return sockets;
}

/** A free UDP port on 127.0.0.1 (bound and released at once). */
async function freePort(): Promise<number> {
  const probe = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe.skipIf(!isRoot)("InterfaceSockets on a device socket", () => {
  it("sends with one sendto() and reports success before returning", async () => {
    const peer = await listener();
    const sockets = openLoopback();
    const outcomes: (Error | undefined)[] = [];
    for (let i = 0; i < 20; i++) {
      const bytes = Uint8Array.from({ length: 300 }, (_, j) => (i + j) & 255);
      sockets.send("lo", bytes, "127.0.0.1", peer.port, (error) => outcomes.push(error));
    }
    // Called synchronously: the native path does not wait for the event loop.
    expect(outcomes).toEqual(Array(20).fill(undefined));
    for (let i = 0; i < 20; i++) {
      const got = await peer.next();
      expect(got.length).toBe(300);
      expect(got[0]).toBe(i & 255);
      expect(got[299]).toBe((i + 299) & 255);
    }
  });

  it("delivers requests that arrive together, each its own copy that the next batch leaves alone", async () => {
    const port = await freePort();
    const received: { bytes: Buffer; iface: string }[] = [];
    openLoopback(port, (batch, iface) => {
      for (const bytes of batch) received.push({ bytes, iface });
    });
    const client = dgram.createSocket("udp4");
    opened.push(client);
    const count = 200;
    for (let i = 0; i < count; i++) {
      const bytes = Buffer.alloc(300 + (i % 7), i & 255);
      await new Promise<void>((resolve, reject) =>
        client.send(bytes, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
      );
    }
    await vi.waitFor(() => expect(received).toHaveLength(count), { timeout: 5000 });
    // Slots are reused by every batch: a view instead of a copy would now hold a later request.
    received.forEach(({ bytes, iface }, i) => {
      expect(iface).toBe("lo");
      expect(bytes.length).toBe(300 + (i % 7));
      expect(bytes.every((b) => b === (i & 255))).toBe(true);
    });
  });

  it("refuses an interface that does not exist, naming it", () => {
    expect(() =>
      InterfaceSockets.open(
        ["nosuch9"],
        0,
        () => {},
        () => {},
        openDeviceSocket,
      ),
    ).toThrow(/DHCP socket on interface nosuch9.*does not exist/);
  });

  it("reports a destination it cannot send to as an error, and unknown interfaces too", async () => {
    const sockets = openLoopback();
    const errors: (Error | undefined)[] = [];
    sockets.send("lo", new Uint8Array(10), "not-an-address", 68, (e) => errors.push(e));
    sockets.send("lo", new Uint8Array(10), "127.0.0.1", 70000, (e) => errors.push(e));
    sockets.send("eth9", new Uint8Array(10), "127.0.0.1", 68, (e) => errors.push(e));
    expect(errors.map((e) => e?.message)).toEqual([
      expect.stringContaining("literal IPv4 or IPv6 address"),
      expect.stringContaining("port must be an integer"),
      "no socket for interface eth9",
    ]);
  });
});

describe("SendBacklog", () => {
  /** A kernel queue that takes `room` datagrams, then refuses until given more room. */
  function fakeKernel(room: number) {
    const sent: string[] = [];
    return {
      sent,
      grow(more: number) {
        room += more;
      },
      trySend(bytes: Uint8Array): boolean {
        if (room === 0) return false;
        room--;
        sent.push(String.fromCharCode(bytes[0]!));
        return true;
      },
    };
  }

  it("sends at once while the kernel takes datagrams, then keeps order while it does not", async () => {
    const kernel = fakeKernel(2);
    const backlog = new SendBacklog((bytes) => kernel.trySend(bytes));
    const outcomes: string[] = [];
    for (const letter of "abcde") {
      backlog.send(Uint8Array.of(letter.charCodeAt(0)), "127.0.0.1", 68, (error) =>
        outcomes.push(`${letter}:${error?.message ?? "sent"}`),
      );
    }
    expect(kernel.sent).toEqual(["a", "b"]);
    expect(backlog.waiting).toBe(3);
    kernel.grow(10);
    await vi.waitFor(() => expect(backlog.waiting).toBe(0));
    expect(kernel.sent).toEqual(["a", "b", "c", "d", "e"]);
    expect(outcomes).toEqual(["a:sent", "b:sent", "c:sent", "d:sent", "e:sent"]);
  });

  it("fails a reply that waited too long, one beyond the bound, and all of them on close", () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const kernel = fakeKernel(0);
      const backlog = new SendBacklog(
        (bytes) => kernel.trySend(bytes),
        () => now,
      );
      const errors: string[] = [];
      const record = (error: Error | undefined) => errors.push(error?.message ?? "sent");
      for (let i = 0; i < SendBacklog.MAX_WAITING + 1; i++) {
        backlog.send(new Uint8Array(1), "127.0.0.1", 68, record);
      }
      expect(errors).toEqual([expect.stringContaining("send queue full")]);
      now = SendBacklog.MAX_WAIT_MS + 1;
      vi.advanceTimersByTime(1);
      expect(errors.filter((e) => e.includes("stayed full"))).toHaveLength(SendBacklog.MAX_WAITING);
      backlog.send(new Uint8Array(1), "127.0.0.1", 68, record);
      backlog.close();
      expect(errors.at(-1)).toContain("closed before the reply left");
      backlog.send(new Uint8Array(1), "127.0.0.1", 68, record);
      expect(errors.at(-1)).toBe("the socket is closed");
    } finally {
      vi.useRealTimers();
    }
  });

  it("reports a send the kernel refuses outright as that reply's error", () => {
    const backlog = new SendBacklog(() => {
      throw new Error("sendto() failed: Network is unreachable");
    });
    const errors: (Error | undefined)[] = [];
    backlog.send(new Uint8Array(1), "127.0.0.1", 68, (e) => errors.push(e));
    expect(errors.map((e) => e?.message)).toEqual(["sendto() failed: Network is unreachable"]);
    expect(backlog.waiting).toBe(0);
  });
});

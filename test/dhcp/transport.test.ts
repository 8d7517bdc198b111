/**
 * The device-socket transport on the loopback device: replies leave through the native sendto()
 * and reach the addressee byte for byte; a bad destination is an error for the caller, never a throw.
 */
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { InterfaceSockets, openDeviceSocket } from "../../src/dhcp/transport.js";

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

/** A device socket on `lo` (ephemeral port): loopback traffic only. */
async function openLoopback(): Promise<InterfaceSockets> {
  const sockets = await InterfaceSockets.open(
    ["lo"],
    0,
    () => {},
    () => {},
    openDeviceSocket,
  );
  opened.push(sockets);
  return sockets;
}

describe.skipIf(!isRoot)("InterfaceSockets on a device socket", () => {
  it("sends with one sendto() and reports success before returning", async () => {
    const peer = await listener();
    const sockets = await openLoopback();
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

  it("reports a destination it cannot send to as an error, and unknown interfaces too", async () => {
    const sockets = await openLoopback();
    const errors: (Error | undefined)[] = [];
    sockets.send("lo", new Uint8Array(10), "not-an-address", 68, (e) => errors.push(e));
    sockets.send("lo", new Uint8Array(10), "127.0.0.1", 70000, (e) => errors.push(e));
    sockets.send("eth9", new Uint8Array(10), "127.0.0.1", 68, (e) => errors.push(e));
    expect(errors.map((e) => e?.message)).toEqual([
      expect.stringContaining("invalid argument"),
      expect.stringContaining("invalid argument"),
      "no socket for interface eth9",
    ]);
  });
});

/**
 * The batched UDP edge against real sockets on loopback: round trips, full batches, IPv6, kernel
 * timestamps, closing under load, oversized datagrams and random payload sizes.
 */
import dgram from "node:dgram";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { formatIpv6, loadUdpBatch, type UdpBatchOptions, UdpBatchSocket } from "../../src/net/udp-batch.js";

const open: UdpBatchSocket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

interface Seen {
  readonly payload: Buffer;
  readonly address: string;
  readonly port: number;
  readonly truncated: boolean;
  readonly receivedMs: number;
  readonly ageNanos: number;
  readonly batch: number;
}

/** A server that records every datagram and (optionally) echoes it back through the batch send. */
function server(address: string, options: UdpBatchOptions = {}, echo = true) {
  const seen: Seen[] = [];
  const batches: number[] = [];
  const errors: Error[] = [];
  const socket = UdpBatchSocket.open(
    address,
    0,
    options,
    (batch) => {
      batches.push(batch.count);
      for (let i = 0; i < batch.count; i++) {
        const payload = Buffer.from(batch.payload(i));
        seen.push({
          payload,
          address: batch.sourceAddress(i),
          port: batch.sourcePort(i),
          truncated: batch.truncated(i),
          receivedMs: batch.receivedSec(i) * 1000 + batch.receivedNsec(i) / 1e6,
          ageNanos: batch.ageNanos(i),
          batch: batches.length - 1,
        });
        if (echo) expect(batch.reply(i, payload)).toBe(true);
      }
    },
    (e) => errors.push(e),
  );
  open.push(socket);
  return { socket, seen, batches, errors };
}

/** A client on Node's dgram that collects replies. */
async function client(type: "udp4" | "udp6" = "udp4") {
  const socket = dgram.createSocket(type);
  const replies: Buffer[] = [];
  socket.on("message", (m) => replies.push(m));
  await new Promise<void>((r) => socket.bind(0, type === "udp4" ? "127.0.0.1" : "::1", r));
  return {
    socket,
    replies,
    port: socket.address().port,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

describe("udp batch edge", () => {
  it("is built", () => {
    expect(loadUdpBatch()).toBeDefined();
  });

  it("round-trips many datagrams with their source address and port", async () => {
    const s = server("127.0.0.1");
    expect(s.socket.port).toBeGreaterThan(0);
    expect(s.socket.addressInfo()).toEqual({ address: "127.0.0.1", family: "IPv4", port: s.socket.port });
    const c = await client();
    const total = 300;
    for (let i = 0; i < total; i++) {
      const m = Buffer.alloc(8);
      m.writeUInt32BE(i, 0);
      m.writeUInt32BE(i * 7919, 4);
      c.socket.send(m, s.socket.port, "127.0.0.1");
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => c.replies.length >= total);
    await c.close();
    expect(c.replies.length).toBe(total);
    const ids = c.replies.map((r) => r.readUInt32BE(0)).sort((a, b) => a - b);
    expect(ids).toEqual([...Array(total).keys()]);
    for (const r of c.replies) expect(r.readUInt32BE(4)).toBe(r.readUInt32BE(0) * 7919);
    expect(new Set(s.seen.map((x) => `${x.address}:${x.port}`))).toEqual(new Set([`127.0.0.1:${c.port}`]));
    expect(s.errors).toEqual([]);
  });

  it("delivers full batches of 64 and answers them with one send each", async () => {
    const s = server("127.0.0.1", { slots: 64 });
    const sender = server("127.0.0.1", {}, false);
    // sendTo is synchronous: all 200 are queued before the server's socket is next polled.
    for (let i = 0; i < 200; i++)
      expect(sender.socket.sendTo(Buffer.from([i]), "127.0.0.1", s.socket.port)).toBe(true);
    await until(() => sender.seen.length >= 200);
    expect(s.batches.reduce((a, b) => a + b, 0)).toBe(200);
    expect(s.batches[0]).toBe(64);
    expect(Math.max(...s.batches)).toBe(64);
    expect(sender.seen.length).toBe(200);
    expect(sender.seen.map((x) => x.payload[0])).toEqual([...Array(200).keys()]);
    expect(s.socket.sendDrops).toBe(0);
  });

  it("serves IPv6 loopback", async () => {
    const s = server("::1");
    expect(s.socket.family).toBe(6);
    const c = await client("udp6");
    c.socket.send(Buffer.from("hello v6"), s.socket.port, "::1");
    await until(() => c.replies.length >= 1);
    await c.close();
    expect(c.replies.map(String)).toEqual(["hello v6"]);
    expect(s.seen[0]?.address).toBe("::1");
    expect(s.seen[0]?.port).toBe(c.port);
  });

  it("stamps each datagram with the kernel receive time: monotone and close to Date.now()", async () => {
    const s = server("127.0.0.1", {}, false);
    const sender = server("127.0.0.1", {}, false);
    const before = Date.now();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 40; i++) sender.socket.sendTo(Buffer.from([round, i]), "127.0.0.1", s.socket.port);
      await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => s.seen.length >= 200);
    const after = Date.now();
    expect(s.seen.length).toBe(200);
    for (let i = 1; i < s.seen.length; i++) {
      expect(s.seen[i]!.receivedMs).toBeGreaterThanOrEqual(s.seen[i - 1]!.receivedMs);
    }
    for (const x of s.seen) {
      expect(x.receivedMs).toBeGreaterThanOrEqual(before - 1);
      expect(x.receivedMs).toBeLessThanOrEqual(after + 1);
      expect(x.ageNanos).toBeGreaterThanOrEqual(0);
      expect(x.ageNanos).toBeLessThan(1e9);
    }
    // Two rounds 10 ms apart are seen 10 ms apart (the kernel time, not the delivery time).
    const first = s.seen.find((x) => x.payload[0] === 0)!;
    const last = s.seen.find((x) => x.payload[0] === 4)!;
    expect(last.receivedMs - first.receivedMs).toBeGreaterThanOrEqual(30);
  });

  it("closes cleanly while datagrams keep arriving, and frees the port", async () => {
    const s = server("127.0.0.1");
    const port = s.socket.port;
    const sender = server("127.0.0.1", {}, false);
    let closedAt = -1;
    let sending = true;
    const blast = () => {
      if (!sending) return;
      for (let i = 0; i < 64; i++) sender.socket.sendTo(Buffer.alloc(32, i), "127.0.0.1", port);
      setImmediate(blast);
    };
    blast();
    await until(() => s.batches.length >= 3);
    s.socket.close();
    closedAt = s.batches.length;
    expect(s.socket.closed).toBe(true);
    s.socket.close(); // idempotent
    expect(s.socket.flush()).toBe(0);
    expect(s.socket.sendTo(Buffer.from([1]), "127.0.0.1", 9)).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    sending = false;
    expect(s.batches.length).toBe(closedAt);
    // The port is free again at once.
    const again = server("127.0.0.1");
    again.socket.close();
    const reopened = UdpBatchSocket.open(
      "127.0.0.1",
      port,
      {},
      () => {},
      () => {},
    );
    open.push(reopened);
    expect(reopened.port).toBe(port);
  });

  it("closes from inside its own batch handler", async () => {
    const errors: Error[] = [];
    let calls = 0;
    const s = UdpBatchSocket.open(
      "127.0.0.1",
      0,
      { slots: 4 },
      (batch) => {
        calls++;
        batch.reply(0, Buffer.from("x"));
        batch.close();
      },
      (e) => errors.push(e),
    );
    open.push(s);
    const sender = server("127.0.0.1", {}, false);
    for (let i = 0; i < 20; i++) sender.socket.sendTo(Buffer.from([i]), "127.0.0.1", s.port);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    expect(errors).toEqual([]);
    expect(sender.seen).toEqual([]);
  });

  it("flags oversized datagrams as truncated, takes empty ones, and refuses oversized sends clearly", async () => {
    const s = server("127.0.0.1", { slotBytes: 64 }, false);
    const c = await client();
    c.socket.send(Buffer.alloc(65507, 0xab), s.socket.port, "127.0.0.1");
    c.socket.send(Buffer.alloc(0), s.socket.port, "127.0.0.1");
    c.socket.send(Buffer.alloc(64, 1), s.socket.port, "127.0.0.1");
    await until(() => s.seen.length >= 3);
    await c.close();
    expect(s.seen.map((x) => [x.payload.length, x.truncated])).toEqual([
      [64, true],
      [0, false],
      [64, false],
    ]);
    expect(s.seen[0]!.payload.every((b) => b === 0xab)).toBe(true);
    expect(() => s.socket.sendTo(Buffer.alloc(70_000), "127.0.0.1", 9)).toThrow(/at most 65507 bytes/);
    expect(() => s.socket.sendTo(Buffer.alloc(1), "not-an-address", 9)).toThrow(/literal IPv4 or IPv6/);
    expect(() => s.socket.sendTo(Buffer.alloc(1), "127.0.0.1", 0)).toThrow(/port/);
    // Outside a delivery nothing can be staged.
    expect(s.socket.reply(0, Buffer.alloc(1))).toBe(false);
  });

  it("reports bad arguments and busy ports as errors with codes", () => {
    expect(() =>
      UdpBatchSocket.open(
        "localhost",
        0,
        {},
        () => {},
        () => {},
      ),
    ).toThrow(/literal IP/);
    expect(() =>
      UdpBatchSocket.open(
        "127.0.0.1",
        70000,
        {},
        () => {},
        () => {},
      ),
    ).toThrow(/port/);
    expect(() =>
      UdpBatchSocket.open(
        "127.0.0.1",
        0,
        { slots: 0 },
        () => {},
        () => {},
      ),
    ).toThrow(/slots/);
    expect(() =>
      UdpBatchSocket.open(
        "127.0.0.1",
        0,
        { slotBytes: 1 << 20 },
        () => {},
        () => {},
      ),
    ).toThrow(/slotBytes/);
    const s = server("127.0.0.1");
    let caught: NodeJS.ErrnoException | undefined;
    try {
      open.push(
        UdpBatchSocket.open(
          "127.0.0.1",
          s.socket.port,
          {},
          () => {},
          () => {},
        ),
      );
    } catch (error) {
      caught = error as NodeJS.ErrnoException;
    }
    expect(caught?.code).toBe("EADDRINUSE");
    expect(caught?.message).toMatch(/bind\(\) failed/);
  });

  it("binds to a device when asked, naming a missing one, and refuses a bad name", () => {
    const attempt = (device: unknown) => () =>
      open.push(
        UdpBatchSocket.open(
          "127.0.0.1",
          0,
          { device: device as string, broadcast: true, timestamps: false },
          () => {},
          () => {},
        ),
      );
    expect(attempt("nosuch9")).toThrow(/interface nosuch9 does not exist/);
    expect(attempt("a-name-far-too-long-for-linux")).toThrow(/options.device/);
    expect(attempt(42)).toThrow(/options.device/);
    if (process.getuid?.() === 0) expect(attempt("lo")).not.toThrow();
  });

  it("reports a throwing handler as an error and keeps serving", async () => {
    const errors: Error[] = [];
    let calls = 0;
    const s = UdpBatchSocket.open(
      "127.0.0.1",
      0,
      {},
      (batch) => {
        calls++;
        if (calls === 1) throw new Error("handler broke");
        batch.reply(0, Buffer.from("ok"));
      },
      (e) => errors.push(e),
    );
    open.push(s);
    const c = await client();
    c.socket.send(Buffer.from([1]), s.port, "127.0.0.1");
    await until(() => calls >= 1);
    c.socket.send(Buffer.from([2]), s.port, "127.0.0.1");
    await until(() => c.replies.length >= 1);
    await c.close();
    expect(errors.map((e) => e.message)).toEqual(["handler broke"]);
    expect(c.replies.map(String)).toEqual(["ok"]);
  });

  it("echoes random payload sizes exactly, cutting only what exceeds a slot", async () => {
    const slotBytes = 2048;
    const s = server("127.0.0.1", { slotBytes });
    const c = await client();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 40 }),
        async (sizes) => {
          c.replies.length = 0;
          const sent = sizes.map((n, k) => {
            const b = Buffer.alloc(n);
            for (let j = 0; j < n; j++) b[j] = (j * 31 + k) & 0xff;
            return b;
          });
          for (const b of sent) c.socket.send(b, s.socket.port, "127.0.0.1");
          await until(() => c.replies.length >= sent.length, 2000);
          expect(c.replies.length).toBe(sent.length);
          // Loopback keeps order: each reply is its request, cut to one slot.
          c.replies.forEach((r, k) => {
            expect(r.equals(sent[k]!.subarray(0, slotBytes))).toBe(true);
          });
        },
      ),
      { numRuns: 25 },
    );
    await c.close();
    expect(s.errors).toEqual([]);
  });
});

describe("formatIpv6", () => {
  const bytes = (text: string) => {
    const groups = text.split(":").map((g) => Number.parseInt(g, 16));
    const out = new Uint8Array(16);
    groups.forEach((g, i) => {
      out[i * 2] = g >> 8;
      out[i * 2 + 1] = g & 0xff;
    });
    return out;
  };
  it("writes RFC 5952 text", () => {
    expect(formatIpv6(bytes("0:0:0:0:0:0:0:1"))).toBe("::1");
    expect(formatIpv6(bytes("0:0:0:0:0:0:0:0"))).toBe("::");
    expect(formatIpv6(bytes("2001:db8:0:0:0:0:0:1"))).toBe("2001:db8::1");
    expect(formatIpv6(bytes("2001:db8:0:1:0:0:0:1"))).toBe("2001:db8:0:1::1");
    expect(formatIpv6(bytes("1:0:0:1:0:0:1:1"))).toBe("1::1:0:0:1:1");
    expect(formatIpv6(bytes("fe80:0:0:0:abcd:0:0:1"))).toBe("fe80::abcd:0:0:1");
    expect(formatIpv6(bytes("2001:db8:1:2:3:4:5:6"))).toBe("2001:db8:1:2:3:4:5:6");
    expect(formatIpv6(bytes("0:0:0:0:0:ffff:c633:640a"))).toBe("::ffff:198.51.100.10");
  });
});

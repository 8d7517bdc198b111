/**
 * TFTP transfers served from memory, on both UDP edges: with the native edge the data pump
 * (native/tftp_pump.c) answers in-order ACKs itself and the state machine catches up on anything
 * else; with Node's dgram every ACK goes through the state machine. The same scripted client must
 * see the same transfer on both: each block once, duplicates never answered, strays refused, block
 * numbers wrapping, retransmission from the right block after the client goes silent.
 */
import dgram from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDgram } from "../../src/net/close-dgram.js";
import type { FetchOutcome } from "../../src/provision/fetch-event.js";
import { decodeTftp, encodeAck, encodeRequest } from "../../src/provision/tftp-packet.js";
import { TftpServer } from "../../src/provision/tftp-server.js";
import { TftpReadTransfer } from "../../src/provision/tftp-transfer.js";
import { provisioningFixture } from "./fixture.js";

const fx = provisioningFixture("  tftp: { retries: 1, maxWindowSize: 16 }\n");

/** Deterministic bytes that differ from block to block. */
function content(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + (i >> 9)) & 0xff;
  return bytes;
}

const FILES = {
  "firmware/small.bin": content(200 * 512 + 17),
  // blksize 8: 65,540 blocks, so block numbers wrap past 65535 to 0.
  "firmware/wrap.bin": content(65_539 * 8 + 3),
  "firmware/exact.bin": content(64 * 512),
  "firmware/noise.bin": content(20 * 512 + 100),
};

type Noise = "older" | "repeated" | "later" | "malformed";

/** A datagram a confused or duplicating client might send before its ACK of `block`. */
function noiseDatagram(kind: Noise, block: number): Uint8Array {
  switch (kind) {
    case "older":
      return encodeAck((block - 3) & 0xffff);
    case "repeated":
      return encodeAck((block - 1) & 0xffff);
    case "later":
      return encodeAck((block + 3) & 0xffff);
    case "malformed":
      return Uint8Array.of(0xff, block & 0xff, 0, 4, 0xff);
  }
}

beforeAll(() => {
  for (const [name, bytes] of Object.entries(FILES)) writeFileSync(join(fx.root, name), bytes);
});
afterAll(() => fx.cleanup());

interface Script {
  readonly options?: Record<string, string>;
  /** Send every ACK twice. */
  readonly ackTwice?: boolean;
  /** After this block, a socket of another port sends an ACK to the transfer's port. */
  readonly strayAfter?: number;
  /** Stop acknowledging after this block. */
  readonly silentAfter?: number;
  /** Datagrams sent just before the ACK of block n (counted from 1), e.g. older or later ACKs. */
  readonly noiseBefore?: (block: number) => readonly Uint8Array[];
  /** The server's address (default 127.0.0.1); "::1" for IPv6. */
  readonly host?: string;
}

interface Fetched {
  readonly bytes: Buffer;
  /** Times each block number (counted from 1, unwrapped) arrived. */
  readonly arrivals: Map<number, number>;
  readonly strayReply?: { op: string; code?: number };
  readonly complete: boolean;
}

/** A lock-step (or windowed) read by a scripted client; ends at the short block, an ERROR or 8 s. */
async function fetch(port: number, name: string, script: Script = {}): Promise<Fetched> {
  const host = script.host ?? "127.0.0.1";
  const type = host.includes(":") ? "udp6" : "udp4";
  const socket = dgram.createSocket(type);
  const stray = dgram.createSocket(type);
  await Promise.all([
    new Promise<void>((r) => socket.bind(0, host, r)),
    new Promise<void>((r) => stray.bind(0, host, r)),
  ]);
  const options = new Map(Object.entries(script.options ?? {}));
  const blockSize = Number(options.get("blksize") ?? 512);
  const window = Number(options.get("windowsize") ?? 1);
  const parts: Buffer[] = [];
  const arrivals = new Map<number, number>();
  let strayReply: Fetched["strayReply"];
  stray.on("message", (message) => {
    const d = decodeTftp(message);
    if (d.ok) strayReply = { op: d.packet.op, ...(d.packet.op === "ERROR" ? { code: d.packet.code } : {}) };
  });
  const result = await new Promise<boolean>((resolve) => {
    let tid = 0;
    let next = 1;
    const limit = setTimeout(() => resolve(false), 8000);
    const ack = (block: number) => {
      for (const noise of script.noiseBefore?.(block) ?? []) socket.send(noise, tid, host);
      const times = script.ackTwice ? 2 : 1;
      for (let i = 0; i < times; i++) socket.send(encodeAck(block & 0xffff), tid, host);
    };
    socket.on("message", (message, from) => {
      const d = decodeTftp(message);
      if (!d.ok) return;
      tid ||= from.port;
      const p = d.packet;
      if (p.op === "ERROR") {
        clearTimeout(limit);
        resolve(false);
      } else if (p.op === "OACK") ack(0);
      else if (p.op === "DATA") {
        // The block as a full count: the one at or after `next - 1` whose low 16 bits match.
        const block = next - 1 + ((p.block - (next - 1)) & 0xffff);
        arrivals.set(block, (arrivals.get(block) ?? 0) + 1);
        if (block !== next) return;
        parts.push(Buffer.from(p.data));
        next++;
        const last = p.data.length < blockSize;
        if (script.silentAfter !== undefined && block > script.silentAfter) return;
        if (last || block % window === 0) ack(block);
        if (block === script.strayAfter) stray.send(encodeAck(block & 0xffff), tid, host);
        if (last) {
          clearTimeout(limit);
          // Let late duplicates arrive before counting.
          setTimeout(() => resolve(true), 150);
        }
      }
    });
    socket.send(encodeRequest("RRQ", name, "octet", options), port, host);
  });
  await Promise.all([closeDgram(socket), closeDgram(stray)]);
  return { bytes: Buffer.concat(parts), arrivals, complete: result, ...(strayReply ? { strayReply } : {}) };
}

function eachOnce(arrivals: Map<number, number>, blocks: number): void {
  const repeated = [...arrivals].filter(([, n]) => n !== 1);
  expect(repeated).toEqual([]);
  expect(arrivals.size).toBe(blocks);
}

describe.each(["native", "dgram"] as const)("TFTP from memory on the %s edge", (edge) => {
  const fetches: FetchOutcome[] = [];
  let server: TftpServer;
  let port: number;

  beforeAll(async () => {
    vi.stubEnv("SITEBOOT_UDP_EDGE", edge);
    server = new TftpServer({ catalog: fx.catalog, onFetch: (f) => fetches.push(f), onError: () => {} });
    await server.listen(["127.0.0.1"], 0);
    port = server.port() as number;
  });
  afterAll(async () => {
    await server.close();
    vi.unstubAllEnvs();
  });
  afterEach(() => {
    fetches.length = 0;
    vi.restoreAllMocks();
  });

  it("sends every block once and reports the whole file", async () => {
    const onAck = vi.spyOn(TftpReadTransfer.prototype, "onAck");
    const got = await fetch(port, "firmware/small.bin", { options: { tsize: "0" } });
    expect(got.complete).toBe(true);
    expect(got.bytes.equals(FILES["firmware/small.bin"])).toBe(true);
    eachOnce(got.arrivals, 201);
    await vi.waitFor(() => expect(fetches).toHaveLength(1));
    expect(fetches[0]).toMatchObject({ result: "complete", bytes: FILES["firmware/small.bin"].length });
    // The native pump answers the in-order ACKs: the state machine hears only the last one. On
    // dgram it hears all 202 (the OACK's and each block's).
    if (edge === "native") expect(onAck.mock.calls.length).toBeLessThanOrEqual(2);
    else expect(onAck.mock.calls.length).toBe(202);
  });

  it("never answers a repeated ACK (no sorcerer's apprentice)", async () => {
    const got = await fetch(port, "firmware/small.bin", { ackTwice: true });
    expect(got.complete).toBe(true);
    expect(got.bytes.equals(FILES["firmware/small.bin"])).toBe(true);
    eachOnce(got.arrivals, 201);
  });

  it("sends an empty last block after a file of whole blocks", async () => {
    const got = await fetch(port, "firmware/exact.bin");
    expect(got.complete).toBe(true);
    expect(got.bytes.equals(FILES["firmware/exact.bin"])).toBe(true);
    eachOnce(got.arrivals, 65);
  });

  it("answers a packet from another port with error 5 and goes on with the transfer", async () => {
    const got = await fetch(port, "firmware/small.bin", { strayAfter: 10 });
    expect(got.strayReply).toEqual({ op: "ERROR", code: 5 });
    expect(got.complete).toBe(true);
    expect(got.bytes.equals(FILES["firmware/small.bin"])).toBe(true);
    eachOnce(got.arrivals, 201);
  });

  it("goes past block 65535, one block or a window at a time", async () => {
    const single = await fetch(port, "firmware/wrap.bin", { options: { blksize: "8" } });
    expect(single.complete).toBe(true);
    expect(single.bytes.equals(FILES["firmware/wrap.bin"])).toBe(true);
    eachOnce(single.arrivals, 65_540);
    const windowed = await fetch(port, "firmware/wrap.bin", { options: { blksize: "8", windowsize: "16" } });
    expect(windowed.complete).toBe(true);
    expect(windowed.bytes.equals(FILES["firmware/wrap.bin"])).toBe(true);
    eachOnce(windowed.arrivals, 65_540);
  }, 30_000);

  it("sends every block once whatever else the client sends before its ACKs (older, repeated, later, malformed)", async () => {
    const kinds = fc.constantFrom<Noise>("older", "repeated", "later", "malformed");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(kinds, { maxLength: 3 }), { minLength: 21, maxLength: 21 }),
        async (noise) => {
          const got = await fetch(port, "firmware/noise.bin", {
            noiseBefore: (block) => (noise[block - 1] ?? []).map((kind) => noiseDatagram(kind, block)),
          });
          expect(got.complete).toBe(true);
          expect(got.bytes.equals(FILES["firmware/noise.bin"])).toBe(true);
          eachOnce(got.arrivals, 21);
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);

  it("after the client goes silent, sends the next block again, then gives up with what was acknowledged", async () => {
    const got = await fetch(port, "firmware/small.bin", { options: { timeout: "1" }, silentAfter: 20 });
    expect(got.complete).toBe(false);
    // Blocks 1-20 acknowledged: block 21 went out, then again once (retries: 1).
    expect(got.arrivals.get(21)).toBe(2);
    expect(got.arrivals.has(22)).toBe(false);
    await vi.waitFor(() => expect(fetches).toHaveLength(1), { timeout: 5000 });
    expect(fetches[0]).toMatchObject({ result: "timeout", bytes: 20 * 512 });
  }, 15_000);
});

describe("TFTP from memory over IPv6 on the native edge", () => {
  it("answers in-order ACKs natively on ::1, and a stray port with error 5", async () => {
    vi.stubEnv("SITEBOOT_UDP_EDGE", "native");
    const server = new TftpServer({ catalog: fx.catalog, onFetch: () => {}, onError: () => {} });
    await server.listen(["::1"], 0);
    try {
      const onAck = vi.spyOn(TftpReadTransfer.prototype, "onAck");
      const got = await fetch(server.port() as number, "firmware/small.bin", { host: "::1", strayAfter: 10 });
      expect(got.complete).toBe(true);
      expect(got.bytes.equals(FILES["firmware/small.bin"])).toBe(true);
      eachOnce(got.arrivals, 201);
      expect(got.strayReply).toEqual({ op: "ERROR", code: 5 });
      expect(onAck.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      vi.restoreAllMocks();
      await server.close();
      vi.unstubAllEnvs();
    }
  });
});

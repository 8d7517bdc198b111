import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FetchOutcome } from "../../src/provision/fetch-event.js";
import { TftpServer } from "../../src/provision/tftp-server.js";
import { provisioningFixture } from "./fixture.js";
import { type Fate, LossyRelay } from "./lossy-relay.js";

const run = promisify(execFile);
const fx = provisioningFixture();
const fetches: FetchOutcome[] = [];
const server = new TftpServer({ catalog: fx.catalog, onFetch: (o) => fetches.push(o), onError: () => {} });
const FILE = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31 + (i >> 9)) & 0xff));

/** A seeded generator, so a failure can be run again as it was. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

beforeAll(async () => {
  writeFileSync(join(fx.root, "firmware", "lossy.bin"), FILE);
  await server.listen(["127.0.0.1"], 0);
});
afterAll(async () => {
  await server.close();
  fx.cleanup();
});

async function fetchThrough(relay: LossyRelay, local: string, ...extra: string[]): Promise<Buffer> {
  const port = await relay.start();
  try {
    await run(
      "busybox",
      ["tftp", "-g", "-r", "firmware/lossy.bin", "-l", local, ...extra, "127.0.0.1", String(port)],
      {
        timeout: 120_000,
      },
    );
    return readFileSync(local);
  } finally {
    await relay.close();
  }
}

describe("TFTP through loss and duplication", () => {
  it("never sends a block again because an ACK came twice (no sorcerer's apprentice)", async () => {
    const next = random(7);
    // Every third ACK twice or more often, nothing lost: any extra DATA packet is a resend caused by a duplicate.
    const relay = new LossyRelay(
      server.port() as number,
      (direction, packet): Fate =>
        direction === "to-server" && packet.readUInt16BE(0) === 4 && next() < 0.4 ? "duplicate" : "deliver",
    );
    const got = await fetchThrough(relay, join(fx.dir, "dup.bin"));
    expect(got.equals(FILE)).toBe(true);
    const blocks = Math.floor(FILE.length / 512) + 1;
    expect(relay.acksFromClient).toBeGreaterThanOrEqual(blocks);
    expect(relay.dataFromServer).toBe(blocks);
  });

  it("completes intact with 10 % loss and 10 % duplication in both directions", async () => {
    const next = random(42);
    let longest = 0;
    let finalBlock = -1;
    const relay = new LossyRelay(server.port() as number, (_direction, packet): Fate => {
      const r = next();
      const opcode = packet.readUInt16BE(0);
      // The final block is the first DATA shorter than the others (the block size may fall back to 512).
      if (opcode === 3) {
        longest = Math.max(longest, packet.length);
        if (packet.length < longest) finalBlock = packet.readUInt16BE(2);
      }
      // The client sends its last ACK once and leaves: if that one is lost, the server cannot know
      // the file arrived (RFC 1350's dallying problem) and reports a timeout. Keep it.
      if (opcode === 4 && packet.readUInt16BE(2) === finalBlock) return "deliver";
      return r < 0.1 ? "drop" : r < 0.2 ? "duplicate" : "deliver";
    });
    const got = await fetchThrough(relay, join(fx.dir, "lossy.bin"), "-b", "4096");
    expect(got.equals(FILE)).toBe(true);
    const complete = () =>
      fetches.some(
        (f) => f.file === "firmware/lossy.bin" && f.result === "complete" && f.bytes === FILE.length,
      );
    for (let i = 0; i < 50 && !complete(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(complete()).toBe(true);
  }, 120_000);
});

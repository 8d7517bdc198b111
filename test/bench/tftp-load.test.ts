/**
 * The C TFTP load generator (test/bench/tftp-load.c), built with cc and run for a few transfers
 * against siteboot's TFTP server in this process, and against a responder that never answers: it
 * must count a transfer complete only when every byte matched.
 */
import dgram from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDgram } from "../../src/net/close-dgram.js";
import { TftpServer } from "../../src/provision/tftp-server.js";
import { provisioningFixture } from "../provision/fixture.js";
import { tftpLoad } from "./provision.bench.js";

const fx = provisioningFixture();
const server = new TftpServer({ catalog: fx.catalog, onFetch: () => {}, onError: () => {} });
const SIZE = 300_000;
const served = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 131) & 0xff));
const expected = join(fx.dir, "expected.bin");
const different = join(fx.dir, "different.bin");

beforeAll(async () => {
  writeFileSync(join(fx.root, "firmware", "a.bin"), served);
  writeFileSync(join(fx.root, "firmware", "b.bin"), served);
  writeFileSync(expected, served);
  const changed = Buffer.from(served);
  changed[SIZE - 5] = changed[SIZE - 5]! ^ 0xff; // one byte in the last block
  writeFileSync(different, changed);
  await server.listen(["127.0.0.1"], 0);
});
afterAll(async () => {
  await server.close();
  fx.cleanup();
});

describe("tftp-load", () => {
  const names = ["firmware/a.bin", "firmware/b.bin"];

  it("completes every transfer whose bytes all match, at the block size it asked for", async () => {
    const r = await tftpLoad("127.0.0.1", server.port()!, 6, 1468, 20, expected, names);
    expect(r).toMatchObject({ transfers: 6, complete: 6, failed: 0, unfinished: 0, corrupt: 0, errors: 0 });
    expect(r.seconds).toBeGreaterThan(0);
    expect(r.cpuSeconds).toBeGreaterThan(0);
  }, 30_000);

  it("fails a transfer whose bytes differ from the expected file in one byte", async () => {
    const r = await tftpLoad("127.0.0.1", server.port()!, 4, 512, 20, different, names);
    expect(r).toMatchObject({ complete: 0, failed: 4, corrupt: 4 });
  }, 30_000);

  it("fails a transfer the server refuses with an ERROR", async () => {
    const r = await tftpLoad("127.0.0.1", server.port()!, 3, 512, 20, expected, ["firmware/none.bin"]);
    expect(r).toMatchObject({ complete: 0, failed: 3, errors: 3 });
  }, 30_000);

  it("asks again after 1 s of silence and stops at its time limit", async () => {
    const silent = dgram.createSocket("udp4");
    let requests = 0;
    silent.on("message", () => requests++);
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    try {
      const r = await tftpLoad("127.0.0.1", silent.address().port, 2, 512, 1.6, expected, names);
      expect(r).toMatchObject({ complete: 0, failed: 0, unfinished: 2 });
      expect(r.retransmits).toBeGreaterThanOrEqual(2);
      expect(requests).toBe(2 + r.retransmits);
      expect(r.seconds).toBeLessThan(2.5);
    } finally {
      await closeDgram(silent);
    }
  }, 30_000);
});

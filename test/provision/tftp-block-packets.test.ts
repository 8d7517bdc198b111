import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sharedPacketSource } from "../../src/provision/tftp-block-packets.js";
import { negotiate } from "../../src/provision/tftp-options.js";
import { type BlockSource, bytesSource, TftpReadTransfer } from "../../src/provision/tftp-transfer.js";

/** Every packet a lossless transfer of `source` sends, acknowledging each window's last block. */
function allPackets(source: BlockSource, blockSize: number, windowSize: number): number[][] {
  const n = negotiate(
    new Map([
      ["blksize", String(blockSize)],
      ["windowsize", String(windowSize)],
    ]),
    source.size,
    { maxBlockSize: 65464, maxWindowSize: 64, timeoutMs: 1000 },
  );
  const t = new TftpReadTransfer(source, { ...n, maxRetries: 3 });
  const out: number[][] = [];
  let step = t.start(0);
  let acked = 0; // the OACK is block 0
  for (let guard = 0; guard < 100_000 && !step.done; guard++) {
    for (const p of step.send) out.push([...p]);
    acked = step.send.length === 1 && step.send[0]?.[1] === 6 ? 0 : acked + step.send.length;
    step = t.onAck(acked & 0xffff, 0);
  }
  expect(step.done?.result).toBe("complete");
  return out;
}

describe("shared DATA packets of cached files", () => {
  it("are byte for byte the packets built per transfer, for any size, block size and window", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.integer({ min: 8, max: 700 }),
        fc.integer({ min: 1, max: 5 }),
        (bytes, blockSize, windowSize) => {
          const shared = sharedPacketSource(bytes);
          const expected = allPackets(bytesSource(bytes), blockSize, windowSize);
          expect(allPackets(shared, blockSize, windowSize)).toEqual(expected);
          // A second transfer of the same bytes (now served from the table) sends the same again.
          expect(allPackets(shared, blockSize, windowSize)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("serves more block sizes than it keeps tables for, and keeps wire numbers past 65535", () => {
    const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 131) & 0xff);
    const shared = sharedPacketSource(bytes);
    for (const blockSize of [8, 9, 10]) {
      expect(allPackets(shared, blockSize, 4)).toEqual(allPackets(bytesSource(bytes), blockSize, 4));
    }
    const block65537 = shared.packet?.(65537, 1);
    expect([...(block65537 ?? [])]).toEqual([0, 3, 0, 1, bytes[65536]]);
  });

  it("a transfer never writes into a shared packet", () => {
    const bytes = Uint8Array.from({ length: 2000 }, (_, i) => i & 0xff);
    const shared = sharedPacketSource(bytes);
    const first = shared.packet?.(2, 512);
    const copy = [...(first ?? [])];
    allPackets(shared, 512, 2);
    expect(shared.packet?.(2, 512)).toBe(first);
    expect([...(first ?? [])]).toEqual(copy);
  });
});

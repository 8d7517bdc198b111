import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_BLOCK_SIZE, negotiate } from "./tftp-options.js";

const limits = { maxBlockSize: 1468, maxWindowSize: 8, timeoutMs: 1000 };

describe("TFTP option negotiation", () => {
  it("acknowledges blksize (capped), tsize with the file size, timeout and windowsize (capped)", () => {
    const n = negotiate(
      new Map([
        ["blksize", "8192"],
        ["tsize", "0"],
        ["timeout", "3"],
        ["windowsize", "64"],
      ]),
      123456,
      limits,
    );
    expect(n).toMatchObject({ blockSize: 1468, windowSize: 8, timeoutMs: 3000 });
    expect([...n.oack]).toEqual([
      ["blksize", "1468"],
      ["timeout", "3"],
      ["tsize", "123456"],
      ["windowsize", "8"],
    ]);
  });

  it("leaves out unknown options and values out of range, so a plain request gets no OACK", () => {
    const n = negotiate(
      new Map([
        ["blksize", "7"],
        ["timeout", "256"],
        ["windowsize", "0"],
        ["multicast", ""],
        ["tsize", "-1"],
      ]),
      10,
      limits,
    );
    expect(n).toEqual({ blockSize: 512, windowSize: 1, timeoutMs: 1000, oack: new Map() });
  });

  it("never agrees to a block or window outside RFC 2348/7440 or the limits", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat(), (blksize, windowsize, size) => {
        const n = negotiate(
          new Map([
            ["blksize", blksize],
            ["windowsize", windowsize],
          ]),
          size,
          { maxBlockSize: MAX_BLOCK_SIZE, maxWindowSize: 65535, timeoutMs: 500 },
        );
        expect(n.blockSize).toBeGreaterThanOrEqual(8);
        expect(n.blockSize).toBeLessThanOrEqual(MAX_BLOCK_SIZE);
        expect(n.windowSize).toBeGreaterThanOrEqual(1);
        expect(n.windowSize).toBeLessThanOrEqual(65535);
      }),
      { numRuns: 2000 },
    );
  });
});

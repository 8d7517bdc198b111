import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toNetascii } from "./tftp-server.js";

/** What a netascii receiver does (tftp-hpa): CR LF → LF, CR NUL → CR. */
function fromNetascii(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && (bytes[i + 1] === 0x0a || bytes[i + 1] === 0x00)) {
      out.push(bytes[i + 1] === 0x0a ? 0x0a : 0x0d);
      i++;
    } else out.push(bytes[i] as number);
  }
  return out;
}

describe("netascii", () => {
  it("writes LF as CR LF and CR as CR NUL", () => {
    expect([...toNetascii(Buffer.from("a\nb\rc"))]).toEqual([0x61, 0x0d, 0x0a, 0x62, 0x0d, 0x00, 0x63]);
  });

  it("a receiver gets the bytes back for any input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(fromNetascii(toNetascii(bytes))).toEqual([...bytes]);
      }),
      { numRuns: 2000 },
    );
  });
});

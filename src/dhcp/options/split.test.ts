import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_INSTANCE_DATA, splitOption } from "./split.js";

/** Walks code/len/data instances, checking each, and returns the concatenated data (RFC 3396). */
function join(code: number, wire: Uint8Array): { data: number[]; sizes: number[] } {
  const data: number[] = [];
  const sizes: number[] = [];
  let at = 0;
  while (at < wire.length) {
    expect(wire[at]).toBe(code);
    const len = wire[at + 1]!;
    sizes.push(len);
    data.push(...wire.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  expect(at).toBe(wire.length);
  return { data, sizes };
}

describe("splitOption (RFC 3396)", () => {
  it("empty data is one zero-length instance", () => {
    expect([...splitOption(80, new Uint8Array(0))]).toEqual([80, 0]);
  });

  it("255 octets fit one instance, 256 need two", () => {
    expect(join(119, splitOption(119, new Uint8Array(255))).sizes).toEqual([255]);
    expect(join(119, splitOption(119, new Uint8Array(256))).sizes).toEqual([255, 1]);
    expect(join(119, splitOption(119, new Uint8Array(1024))).sizes).toEqual([255, 255, 255, 255, 4]);
  });

  it("every instance holds at most 255 octets and the data concatenates back", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ maxLength: 1200 }), (code, data) => {
        const { data: back, sizes } = join(code, splitOption(code, data));
        expect(back).toEqual([...data]);
        expect(sizes.every((s) => s <= MAX_INSTANCE_DATA)).toBe(true);
        expect(sizes.length).toBe(Math.max(1, Math.ceil(data.length / MAX_INSTANCE_DATA)));
        // Only the last instance may be short.
        expect(sizes.slice(0, -1).every((s) => s === MAX_INSTANCE_DATA)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

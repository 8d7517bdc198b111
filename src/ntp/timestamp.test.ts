import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addNanos,
  fractionToNanos,
  fromShortFormat,
  NTP_UNIX_OFFSET,
  ntpFraction,
  ntpSeconds,
  readTimestamp,
  timestampToInstant,
  toShortFormat,
  writeTimestamp,
} from "./timestamp.js";

/** 2036-02-07T06:28:16Z: NTP era 0 ends here. */
const ERA1_START_UNIX = 2 ** 32 - NTP_UNIX_OFFSET;

describe("NTP fraction", () => {
  it("is floor(nsec · 2^32 / 1e9), computed exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999 }), (nsec) => {
        const exact = (BigInt(nsec) << 32n) / 1_000_000_000n;
        expect(ntpFraction(nsec)).toBe(Number(exact));
      }),
      { numRuns: 5000 },
    );
  });

  it("round-trips nanoseconds exactly and is strictly increasing", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_998 }), (nsec) => {
        expect(fractionToNanos(ntpFraction(nsec))).toBe(nsec);
        expect(ntpFraction(nsec + 1)).toBeGreaterThan(ntpFraction(nsec));
      }),
      { numRuns: 5000 },
    );
    expect(ntpFraction(0)).toBe(0);
    expect(ntpFraction(500_000_000)).toBe(0x80000000);
    expect(ntpFraction(999_999_999)).toBe(0xfffffffb);
  });
});

describe("NTP seconds and eras", () => {
  it("maps 1900-01-01 to 0 and 1970-01-01 to 2208988800", () => {
    expect(ntpSeconds(-NTP_UNIX_OFFSET)).toBe(0);
    expect(ntpSeconds(0)).toBe(NTP_UNIX_OFFSET);
  });

  it("wraps to era 1 at 2036-02-07T06:28:16Z", () => {
    expect(new Date(ERA1_START_UNIX * 1000).toISOString()).toBe("2036-02-07T06:28:16.000Z");
    expect(ntpSeconds(ERA1_START_UNIX - 1)).toBe(0xffffffff);
    expect(ntpSeconds(ERA1_START_UNIX)).toBe(0);
    expect(ntpSeconds(ERA1_START_UNIX + 1)).toBe(1);
  });

  it("writes and reads back any instant within 68 years of the pivot, across the rollover", () => {
    const out = new Uint8Array(8);
    fc.assert(
      fc.property(
        fc.integer({ min: ERA1_START_UNIX - 2 ** 31 + 1, max: ERA1_START_UNIX + 2 ** 31 - 2 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.integer({ min: -(2 ** 30), max: 2 ** 30 }),
        (sec, nsec, skew) => {
          writeTimestamp(out, 0, { sec, nsec });
          const back = timestampToInstant(readTimestamp(out, 0), sec + skew);
          expect(back).toEqual({ sec, nsec });
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("reads a timestamp just after the rollover as 2036 when the pivot is just before it", () => {
    const out = new Uint8Array(8);
    writeTimestamp(out, 0, { sec: ERA1_START_UNIX + 5, nsec: 250_000_000 });
    expect([...out]).toEqual([0, 0, 0, 5, 0x40, 0, 0, 0]);
    expect(timestampToInstant(readTimestamp(out, 0), ERA1_START_UNIX - 10)).toEqual({
      sec: ERA1_START_UNIX + 5,
      nsec: 250_000_000,
    });
  });
});

describe("short format and helpers", () => {
  it("rounds up and saturates", () => {
    expect(toShortFormat(1)).toBe(0x10000);
    expect(toShortFormat(0)).toBe(0);
    expect(toShortFormat(-3)).toBe(0);
    expect(toShortFormat(Number.NaN)).toBe(0);
    expect(toShortFormat(1e-9)).toBe(1);
    expect(toShortFormat(1e9)).toBe(0xffffffff);
    expect(fromShortFormat(toShortFormat(0.5))).toBe(0.5);
  });

  it("adds nanoseconds with carries in both directions", () => {
    expect(addNanos({ sec: 10, nsec: 999_999_999 }, 1)).toEqual({ sec: 11, nsec: 0 });
    expect(addNanos({ sec: 10, nsec: 0 }, -1)).toEqual({ sec: 9, nsec: 999_999_999 });
    expect(addNanos({ sec: 0, nsec: 5 }, 3_000_000_000)).toEqual({ sec: 3, nsec: 5 });
  });
});

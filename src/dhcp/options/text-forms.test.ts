import { describe, expect, it } from "vitest";
import { describeValue, quoteText } from "./describe.js";
import { formatDuration, parseDuration } from "./duration.js";
import { parseHexBytes, toColonHex, toHex } from "./hex.js";
import { bytes } from "./test-bytes.js";

describe("durations", () => {
  it("parses units in descending order and bare seconds", () => {
    expect(parseDuration("45s")).toBe(45);
    expect(parseDuration("30m")).toBe(1800);
    expect(parseDuration("8h")).toBe(28800);
    expect(parseDuration("2d")).toBe(172800);
    expect(parseDuration("1h30m")).toBe(5400);
    expect(parseDuration("1d2h3m4s")).toBe(93784);
    expect(parseDuration("600")).toBe(600);
  });

  it("rejects everything else", () => {
    for (const bad of ["", "h", "1x", "30m1h", "1.5h", "-1h", " 1h", "1h ", "1H", "9".repeat(20)]) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
  });

  it("formats compactly", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(28800)).toBe("8h");
    expect(formatDuration(5400)).toBe("1h30m");
    expect(formatDuration(93784)).toBe("1d2h3m4s");
    expect(formatDuration(-18000)).toBe("-5h");
  });
});

describe("hex forms", () => {
  it("dumps and parses", () => {
    expect(toHex(Uint8Array.of(10, 11, 255))).toBe("0a 0b ff");
    expect(toHex(new Uint8Array(0))).toBe("");
    expect(toColonHex(Uint8Array.of(0, 1))).toBe("00:01");
    expect([...(parseHexBytes("0X0a0B") ?? [])]).toEqual([10, 11]);
    expect(parseHexBytes("0a:")).toBeUndefined();
    expect(parseHexBytes("0a:123")).toBeUndefined();
  });
});

describe("describeValue", () => {
  it("names what YAML produced", () => {
    expect(describeValue("x")).toBe('"x"');
    expect(describeValue(3)).toBe("3");
    expect(describeValue(false)).toBe("false");
    expect(describeValue(null)).toBe("nothing");
    expect(describeValue(undefined)).toBe("nothing");
    expect(describeValue([1])).toBe("a list");
    expect(describeValue(new Map())).toBe("a map");
    expect(describeValue({})).toBe("a map");
    expect(describeValue(() => 1)).toBe("function");
    expect(quoteText("a\u0000")).toBe('"a\\u0000"');
  });
});

describe("test byte specs", () => {
  it("mix hex octets and quoted ASCII, and refuse anything else", () => {
    expect([...bytes(`0a "AB" ff`)]).toEqual([10, 65, 66, 255]);
    expect(() => bytes("0a zz")).toThrow("bad byte spec token zz");
  });
});

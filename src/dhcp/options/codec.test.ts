import { describe, expect, it } from "vitest";
import { decodeOptionValue, encodeOptionValue, MAX_OPTION_DATA } from "./codec.js";
import type { OptionTypeName } from "./table.js";
import { bytes } from "./test-bytes.js";

const def = (type: OptionTypeName, array = false) => ({ type, array });
const SELF = 0xc6336402; // 198.51.100.2

function wire(type: OptionTypeName, array: boolean, value: unknown, self?: number): number[] | string {
  const r = encodeOptionValue(def(type, array), value, self === undefined ? {} : { self });
  return r.ok ? [...r.data] : r.error;
}

function shown(type: OptionTypeName, array: boolean, value: unknown, self?: number): string {
  const r = encodeOptionValue(def(type, array), value, self === undefined ? {} : { self });
  return r.ok ? r.display : `error: ${r.error}`;
}

describe("ip", () => {
  it("encodes four-part dotted decimal and self", () => {
    expect(wire("ip", false, "255.255.255.0")).toEqual([255, 255, 255, 0]);
    expect(wire("ip", true, ["198.51.100.2", "self"], SELF)).toEqual([198, 51, 100, 2, 198, 51, 100, 2]);
    expect(shown("ip", true, ["198.51.100.2", "198.51.100.3"])).toBe("[198.51.100.2, 198.51.100.3]");
    expect(shown("ip", false, "self", SELF)).toBe("198.51.100.2");
  });

  it("rejects shortened, octal, spaced and non-string forms, naming what was expected", () => {
    expect(wire("ip", false, "10.1", SELF)).toBe('expected an IPv4 address a.b.c.d or "self", got "10.1"');
    expect(wire("ip", false, "010.0.0.1")).toBe('expected an IPv4 address a.b.c.d, got "010.0.0.1"');
    expect(wire("ip", false, " 10.0.0.1")).toBe('expected an IPv4 address a.b.c.d, got " 10.0.0.1"');
    expect(wire("ip", false, "256.0.0.1")).toBe('expected an IPv4 address a.b.c.d, got "256.0.0.1"');
    expect(wire("ip", false, "self")).toBe('expected an IPv4 address a.b.c.d, got "self"');
    expect(wire("ip", false, 167772161)).toBe("expected an IPv4 address a.b.c.d, got 167772161");
    expect(wire("ip", false, null)).toBe("expected an IPv4 address a.b.c.d, got nothing");
    expect(wire("ip", true, ["10.0.0.1", { a: 1 }])).toBe(
      "item 2: expected an IPv4 address a.b.c.d, got a map",
    );
    expect(wire("ip", false, ["10.0.0.1"])).toBe("expected a single ip value, got a list");
    expect(wire("ip", true, [])).toBe("expected a list of at least one ip value, got an empty list");
  });

  it("accepts a single scalar for an array option", () => {
    expect(wire("ip", true, "198.51.100.1")).toEqual([198, 51, 100, 1]);
  });

  it("decodes exact lengths only", () => {
    expect(decodeOptionValue(def("ip"), bytes("c6 33 64 02"))).toEqual({
      ok: true,
      value: "198.51.100.2",
      display: "198.51.100.2",
    });
    expect(decodeOptionValue(def("ip"), bytes("c6 33 64"))).toEqual({
      ok: false,
      error: "expected 4 octets, got 3",
    });
    expect(decodeOptionValue(def("ip", true), bytes("c6 33 64 02 01"))).toEqual({
      ok: false,
      error: "expected a non-zero multiple of 4 octets, got 5",
    });
    expect(decodeOptionValue(def("ip", true), new Uint8Array(0))).toHaveProperty("ok", false);
  });
});

describe("integers and durations", () => {
  it("u8 and u16 take whole numbers in range, as numbers or decimal strings", () => {
    expect(wire("u8", false, 255)).toEqual([255]);
    expect(wire("u8", false, "7")).toEqual([7]);
    expect(wire("u8", false, 256)).toBe("expected a whole number from 0 to 255, got 256");
    expect(wire("u8", false, -1)).toBe("expected a whole number from 0 to 255, got -1");
    expect(wire("u8", false, 1.5)).toBe("expected a whole number from 0 to 255, got 1.5");
    expect(wire("u8", false, "8h")).toBe('expected a whole number from 0 to 255, got "8h"');
    expect(wire("u16", false, 1500)).toEqual([0x05, 0xdc]);
    expect(wire("u16", false, 65536)).toBe("expected a whole number from 0 to 65535, got 65536");
    expect(wire("u8", true, [1, 2, 3])).toEqual([1, 2, 3]);
    expect(shown("u8", true, [1, 2, 3])).toBe("[1, 2, 3]");
  });

  it("u32 takes seconds or durations and shows both", () => {
    expect(wire("u32", false, "8h")).toEqual([0, 0, 0x70, 0x80]);
    expect(wire("u32", false, "1h30m")).toEqual([0, 0, 0x15, 0x18]);
    expect(wire("u32", false, "2d")).toEqual([0, 2, 0xa3, 0]);
    expect(wire("u32", false, "45s")).toEqual([0, 0, 0, 45]);
    expect(wire("u32", false, 4294967295)).toEqual([255, 255, 255, 255]);
    expect(shown("u32", false, "8h")).toBe("28800 (8h)");
    expect(shown("u32", false, 45)).toBe("45");
    expect(wire("u32", false, 4294967296)).toMatch(
      /^expected a whole number from 0 to 4294967295 or a duration/,
    );
    expect(wire("u32", false, "8 h")).toMatch(/got "8 h"$/);
    expect(wire("u32", false, "30m8h")).toMatch(/got "30m8h"$/);
    expect(wire("u32", false, "-1h")).toMatch(/got "-1h"$/);
  });

  it("s32 (time offset) takes negative numbers and signed durations", () => {
    expect(wire("s32", false, -18000)).toEqual([0xff, 0xff, 0xb9, 0xb0]);
    expect(wire("s32", false, "-5h")).toEqual([0xff, 0xff, 0xb9, 0xb0]);
    expect(wire("s32", false, "3600")).toEqual([0, 0, 0x0e, 0x10]);
    expect(shown("s32", false, "-5h")).toBe("-18000 (-5h)");
    expect(wire("s32", false, 2 ** 31)).toMatch(/^expected a whole number from -2147483648 to 2147483647/);
    expect(wire("s32", false, -(2 ** 31))).toEqual([0x80, 0, 0, 0]);
    expect(decodeOptionValue(def("s32"), bytes("80 00 00 00"))).toMatchObject({ value: -(2 ** 31) });
  });
});

describe("bool", () => {
  it("true/false to 1/0, and reads any non-zero octet as true", () => {
    expect(wire("bool", false, true)).toEqual([1]);
    expect(wire("bool", false, "false")).toEqual([0]);
    expect(wire("bool", false, "yes")).toBe('expected true or false, got "yes"');
    expect(wire("bool", false, 1)).toBe("expected true or false, got 1");
    expect(decodeOptionValue(def("bool"), bytes("02"))).toEqual({ ok: true, value: true, display: "true" });
    expect(decodeOptionValue(def("bool", true), bytes("00 01"))).toEqual({
      ok: true,
      value: [false, true],
      display: "[false, true]",
    });
  });
});

describe("string", () => {
  it("encodes UTF-8 without a trailing NUL (RFC 2132) and shows it quoted", () => {
    expect(wire("string", false, "http://prov/")).toEqual([...bytes(`"http://prov/"`)]);
    expect(shown("string", false, "http://prov/")).toBe('"http://prov/"');
    expect(wire("string", false, "é")).toEqual([0xc3, 0xa9]);
    expect(shown("string", false, 'a"b\n')).toBe('"a\\"b\\n"');
  });

  it("rejects empty text and non-text values with a hint", () => {
    expect(wire("string", false, "")).toBe('expected non-empty text, got ""');
    expect(wire("string", false, 1234)).toBe("expected text, got 1234 (quote it in YAML)");
    expect(wire("string", false, ["a"])).toBe("expected text, got a list");
  });

  it("decoding tolerates and strips trailing NULs, and refuses invalid UTF-8", () => {
    expect(decodeOptionValue(def("string"), bytes(`"contoso.com" 00 00`))).toEqual({
      ok: true,
      value: "contoso.com",
      display: '"contoso.com"',
    });
    expect(decodeOptionValue(def("string"), bytes("ff fe"))).toEqual({ ok: false, error: "not UTF-8 text" });
  });
});

describe("hex", () => {
  it("accepts 0a:0b, 0a0b and 0x0a0b", () => {
    expect(wire("hex", false, "0a:0b")).toEqual([10, 11]);
    expect(wire("hex", false, "0A0B")).toEqual([10, 11]);
    expect(wire("hex", false, "0x0a0b")).toEqual([10, 11]);
    expect(wire("hex", false, "a:b:c")).toEqual([10, 11, 12]);
    expect(wire("hex", false, "")).toEqual([]);
    expect(shown("hex", false, "0x0a0b")).toBe("0a:0b");
    expect(shown("hex", false, "")).toBe("(empty)");
  });

  it("rejects odd digits, junk and numbers (YAML reads unquoted 0x… as a number)", () => {
    expect(wire("hex", false, "0a0")).toBe(
      'expected hex bytes such as "0a:0b", "0a0b" or "0x0a0b", got "0a0"',
    );
    expect(wire("hex", false, "0a::0b")).toMatch(/got "0a::0b"$/);
    expect(wire("hex", false, "0x")).toMatch(/got "0x"$/);
    expect(wire("hex", false, "zz")).toMatch(/got "zz"$/);
    expect(wire("hex", false, 2571)).toBe(
      'expected hex bytes such as "0a:0b", "0a0b" or "0x0a0b", got 2571 (quote it: YAML reads unquoted digits as a number)',
    );
  });
});

describe("size limit and unknown types", () => {
  it(`refuses option data over ${MAX_OPTION_DATA} octets`, () => {
    expect(wire("hex", false, "00".repeat(MAX_OPTION_DATA))).toHaveLength(MAX_OPTION_DATA);
    expect(wire("hex", false, "00".repeat(MAX_OPTION_DATA + 1))).toBe(
      "too long to fit in a DHCP message: 1025 octets of option data, at most 1024",
    );
    expect(wire("ip", true, Array(257).fill("10.0.0.1"))).toBe(
      "too long to fit in a DHCP message: 1028 octets of option data, at most 1024",
    );
  });

  it("returns an error for a type outside the table, never throws", () => {
    const bogus = { type: "float" as OptionTypeName, array: false };
    expect(encodeOptionValue(bogus, 1)).toEqual({ ok: false, error: 'unknown option type "float"' });
    expect(decodeOptionValue(bogus, new Uint8Array(1))).toEqual({
      ok: false,
      error: 'unknown option type "float"',
    });
  });

  it("turns an unexpected exception into an error result", () => {
    const hostile = {
      get type(): OptionTypeName {
        throw new Error("boom");
      },
      array: false,
    };
    expect(encodeOptionValue(hostile, 1)).toEqual({ ok: false, error: "cannot encode: boom" });
    expect(decodeOptionValue(hostile, new Uint8Array(1))).toEqual({
      ok: false,
      error: "cannot decode: boom",
    });
  });
});

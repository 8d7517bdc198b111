import { describe, expect, it } from "vitest";
import { decodeOptionValue, encodeOptionValue } from "./codec.js";
import { bytes } from "./test-bytes.js";

const V43 = { type: "vendor-options", array: false } as const;

describe("option 43 vendor sub-options", () => {
  it("encodes text and typed values with computed lengths, in subcode order", () => {
    const r = encodeOptionValue(
      V43,
      {
        1: "http://prov/",
        2: { ip: "198.51.100.2" },
        3: { hex: "0a:0b" },
        4: { u8: 7 },
        5: { u16: 512 },
        6: { u32: "1h" },
      },
      {},
    );
    if (!r.ok) throw new Error(r.error);
    expect([...r.data]).toEqual([
      ...bytes(`01 0c "http://prov/"`),
      ...bytes("02 04 c6 33 64 02"),
      ...bytes("03 02 0a 0b"),
      ...bytes("04 01 07"),
      ...bytes("05 02 02 00"),
      ...bytes("06 04 00 00 0e 10"),
    ]);
    expect(r.display).toBe('{1: "http://prov/", 2: 198.51.100.2, 3: 0a:0b, 4: 7, 5: 512, 6: 3600}');
  });

  it("accepts a Map (YAML mapAsMap), ip lists, self and an explicit string kind", () => {
    const r = encodeOptionValue(
      V43,
      new Map<unknown, unknown>([
        [2, { ip: ["self", "198.51.100.3"] }],
        ["9", { string: "x" }],
      ]),
      { self: 0xc6336402 },
    );
    expect(r.ok && [...r.data]).toEqual([...bytes(`02 08 c6 33 64 02 c6 33 64 03 09 01 "x"`)]);
    expect(r.ok && r.display).toBe('{2: [198.51.100.2, 198.51.100.3], 9: "x"}');
  });

  it("explains every kind of mistake", () => {
    const err = (value: unknown) => {
      const r = encodeOptionValue(V43, value);
      return r.ok ? "ok" : r.error;
    };
    expect(err("text")).toBe(
      'expected a map of sub-options { subcode: value } with subcodes 1..254, got "text"',
    );
    expect(err({})).toBe("expected at least one sub-option");
    expect(err({ 0: "a" })).toBe('sub-option code "0": expected a whole number from 1 to 254');
    expect(err({ 255: "a" })).toBe('sub-option code "255": expected a whole number from 1 to 254');
    expect(err({ x: "a" })).toBe('sub-option code "x": expected a whole number from 1 to 254');
    expect(
      err(
        new Map<unknown, unknown>([
          [1, "a"],
          ["1", "b"],
        ]),
      ),
    ).toBe("sub-option 1 is given twice");
    expect(err({ 1: 5 })).toBe(
      "sub-option 1: expected text, or a map with one of { string: … }, { ip: … }, { hex: … }, { u8: … }, { u16: … }, { u32: … }, got 5",
    );
    expect(err({ 1: { ip: "1.2.3.4", hex: "00" } })).toMatch(/^sub-option 1: expected text, or a map/);
    expect(err({ 1: { float: 1 } })).toMatch(/^sub-option 1: unknown sub-option value kind "float"/);
    expect(err({ 1: { ip: "10.1" } })).toBe('sub-option 1: expected an IPv4 address a.b.c.d, got "10.1"');
    expect(err({ 1: { ip: [] } })).toBe("sub-option 1: expected at least one IPv4 address");
    expect(err({ 1: { u8: 256 } })).toBe("sub-option 1: expected a whole number from 0 to 255, got 256");
    expect(err({ 1: { hex: "xyz" } })).toBe(
      'sub-option 1: expected hex bytes such as "0a:0b" (quoted), got "xyz"',
    );
    expect(err({ 1: "" })).toBe('sub-option 1: expected non-empty text, got ""');
    expect(err({ 1: "x".repeat(256) })).toBe("sub-option 1: 256 octets long; at most 255");
  });

  it("decodes sub-options: text when printable, hex otherwise; pads skipped, end honoured", () => {
    const data = bytes(`00 01 05 "hello" 02 02 00 ff 03 00 ff 00 00`);
    expect(decodeOptionValue(V43, data)).toEqual({
      ok: true,
      value: { 1: "hello", 2: { hex: "00:ff" }, 3: { hex: "" } },
      display: '{1: "hello", 2: 00:ff, 3: (empty)}',
    });
  });

  it("re-encoding a decoded value gives the same bytes", () => {
    const data = bytes(`01 05 "hello" 02 02 00 ff 03 00`);
    const d = decodeOptionValue(V43, data);
    const e = d.ok ? encodeOptionValue(V43, d.value) : d;
    expect(e.ok && [...e.data]).toEqual([...data]);
  });

  it("rejects data that is not sub-options", () => {
    const err = (spec: string) => {
      const r = decodeOptionValue(V43, bytes(spec));
      return r.ok ? "ok" : r.error;
    };
    expect(err("01")).toBe("sub-option 1 at offset 0 has no length");
    expect(err("01 05 61")).toBe("sub-option 1 at offset 0 runs past the end of the data");
    expect(err("01 01 61 ff 02")).toBe("data after the end marker at offset 3");
    expect(err("01 01 61 01 01 62")).toBe("sub-option 1 appears twice");
    expect(err("")).toBe("no sub-options in the data");
    expect(err("00 00 ff")).toBe("no sub-options in the data");
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeOptionValue, encodeOptionValue } from "./codec.js";
import { toColonHex } from "./hex.js";
import { OPTION_TABLE, type OptionTypeName } from "./table.js";
import { parseVendorClass } from "./vendor-class.js";

/**
 * Round-trip properties for every type (encode → decode gives the value back; decode → encode
 * gives the bytes back) and fuzzing of every decoder: no input may throw or hit the internal
 * exception guard ("cannot decode: …").
 */

const RUNS = { numRuns: 200 };

const label = fc.oneof(
  fc.constantFrom("com", "contoso", "fabrikam", "eu", "_tcp", "sip"),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,63}$/),
);
const name = fc
  .array(label, { minLength: 1, maxLength: 5 })
  .map((ls) => ls.join("."))
  .filter((n) => n.length <= 253 && !/^[0-9.]+$/.test(n));
const names = fc.array(name, { minLength: 1, maxLength: 8 });
const ipText = fc.ipV4();
const text = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 60 })
  .filter((s) => !s.endsWith("\u0000"));
const nonTextBytes = fc
  .uint8Array({ minLength: 1, maxLength: 40 })
  .filter((b) => b.some((x) => x < 0x20 || x > 0x7e));
const vendorValue = fc.dictionary(
  fc.integer({ min: 1, max: 254 }).map(String),
  fc.oneof(
    fc.stringMatching(/^[ -~]{1,40}$/),
    nonTextBytes.map((b) => ({ hex: toColonHex(b) })),
  ),
  { minKeys: 1, maxKeys: 8 },
);

const VALUE_ARBS: Record<OptionTypeName, fc.Arbitrary<unknown>> = {
  ip: ipText,
  u8: fc.integer({ min: 0, max: 255 }),
  u16: fc.integer({ min: 0, max: 65535 }),
  u32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  s32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  bool: fc.boolean(),
  string: text,
  hex: fc.uint8Array({ maxLength: 64 }).map(toColonHex),
  domain: name,
  "sip-servers": fc.oneof(names, fc.array(ipText, { minLength: 1, maxLength: 8 })),
  "vendor-options": vendorValue,
};

const ARRAYABLE: OptionTypeName[] = ["ip", "u8", "u16", "u32", "s32", "bool", "domain"];
const ALL_DEFS = [
  ...(Object.keys(VALUE_ARBS) as OptionTypeName[]).map((type) => ({ type, array: false })),
  ...ARRAYABLE.map((type) => ({ type, array: true })),
];

function arbFor(def: { type: OptionTypeName; array: boolean }): fc.Arbitrary<unknown> {
  const one = VALUE_ARBS[def.type];
  if (!def.array) return one;
  return def.type === "domain" ? names : fc.array(one, { minLength: 1, maxLength: 20 });
}

/** Names are compared without the optional trailing dot. */
function normalise(def: { type: OptionTypeName }, value: unknown): unknown {
  if (def.type === "domain") return Array.isArray(value) ? value.map(String) : value;
  return value;
}

describe("round trips", () => {
  for (const def of ALL_DEFS) {
    const spec = def.array ? `${def.type}[]` : def.type;
    it(`${spec}: encode → decode → same value; → encode → same bytes; display agrees`, () => {
      fc.assert(
        fc.property(arbFor(def), (value) => {
          const enc = encodeOptionValue(def, value);
          if (!enc.ok) throw new Error(`${spec} ${JSON.stringify(value)}: ${enc.error}`);
          const dec = decodeOptionValue(def, enc.data);
          if (!dec.ok) throw new Error(`${spec} decode: ${dec.error}`);
          expect(dec.value).toEqual(normalise(def, value));
          const again = encodeOptionValue(def, dec.value);
          expect(again.ok && [...again.data]).toEqual([...enc.data]);
          if (def.type !== "vendor-options") expect(enc.display).toBe(dec.display);
        }),
        RUNS,
      );
    });
  }

  it("domain lists accept trailing dots and decode without them", () => {
    fc.assert(
      fc.property(names, (list) => {
        const dotted = encodeOptionValue(
          { type: "domain", array: true },
          list.map((n) => `${n}.`),
        );
        const plain = encodeOptionValue({ type: "domain", array: true }, list);
        expect(dotted.ok && plain.ok && [...dotted.data]).toEqual(plain.ok && [...plain.data]);
      }),
      RUNS,
    );
  });

  it("compression never makes a domain list longer than writing it out", () => {
    fc.assert(
      fc.property(names, (list) => {
        const r = encodeOptionValue({ type: "domain", array: true }, list);
        const plain = list.reduce((n, s) => n + s.length + 2, 0);
        expect(r.ok && r.data.length).toBeLessThanOrEqual(plain);
      }),
      RUNS,
    );
  });

  it("fixed-size arrays: decode → encode gives back any well-sized bytes", () => {
    for (const [type, size] of [
      ["ip", 4],
      ["u8", 1],
      ["u16", 2],
      ["u32", 4],
      ["s32", 4],
    ] as const) {
      fc.assert(
        fc.property(
          fc
            .integer({ min: 1, max: 50 })
            .chain((n) => fc.uint8Array({ minLength: n * size, maxLength: n * size })),
          (data) => {
            const def = { type, array: true };
            const dec = decodeOptionValue(def, data);
            const enc = dec.ok ? encodeOptionValue(def, dec.value) : dec;
            expect(enc.ok && [...enc.data]).toEqual([...data]);
          },
        ),
        { numRuns: 50 },
      );
    }
  });
});

describe("fuzz: decoders never throw", () => {
  const defs = [...ALL_DEFS, ...OPTION_TABLE];
  it("decodeOptionValue on random bytes, for every type and every table row", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        for (const def of defs) {
          const r = decodeOptionValue(def, data);
          if (!r.ok) expect(r.error).not.toMatch(/^cannot decode/);
          else expect(typeof r.display).toBe("string");
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("decodeOptionValue on name-shaped bytes (labels, pointers, zeros) for the name types", () => {
    const nameByte = fc.oneof(
      fc.constantFrom(0, 1, 2, 3, 0xc0, 0xc1, 0x3f, 0x40, 0x80, 0xff),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.array(nameByte, { maxLength: 200 }), (arr) => {
        const data = Uint8Array.from(arr);
        for (const type of ["domain", "sip-servers"] as const) {
          for (const array of [false, true]) {
            const r = decodeOptionValue({ type, array }, data);
            if (!r.ok) expect(r.error).not.toMatch(/^cannot decode/);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("parseVendorClass on random and on mutated Polycom bytes", () => {
    const polycom = Uint8Array.from([
      0,
      0,
      0x36,
      0x3d,
      12,
      1,
      7,
      ...Buffer.from("Polycom"),
      2,
      1,
      0x41,
      0xff,
    ]);
    const mutated = fc
      .array(fc.tuple(fc.nat(polycom.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })
      .map((edits) => {
        const copy = polycom.slice();
        for (const [at, b] of edits) copy[at] = b;
        return copy;
      });
    expect(parseVendorClass(polycom).binary).toEqual([
      { enterprise: 13885, layout: "sub-options", codes: [1, 2], items: ["Polycom", "A"] },
    ]);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (data) => {
        const info = parseVendorClass(data);
        // Control characters never reach logs raw.
        expect(info.text).not.toMatch(/[\x00-\x1f\x7f]/);
        if (info.binary === undefined) return;
        // A block has a length octet ≥ 1 and at least one field; the first starts the option.
        expect(info.binary.length).toBeGreaterThan(0);
        expect(info.binary[0]!.enterprise).toBe(
          ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0,
        );
        for (const block of info.binary) {
          expect(block.items.length).toBeGreaterThan(0);
          if (block.layout === "sub-options") {
            expect(block.codes).toHaveLength(block.items.length);
            for (const code of block.codes!) expect(code >= 1 && code <= 254).toBe(true);
          } else {
            expect(block.codes).toBeUndefined();
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("parseVendorClass reads back any RFC 3925 blocks of printable items", () => {
    const item = fc.string({
      minLength: 1,
      maxLength: 20,
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    });
    const block = fc.record({
      enterprise: fc.nat({ max: 0xffff_ffff }),
      items: fc.array(item, { minLength: 1, maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 3 }), (blocks) => {
        fc.pre(blocks.every((b) => b.items.reduce((n, t) => n + 1 + t.length, 0) <= 255));
        const bytes: number[] = [];
        for (const { enterprise, items } of blocks) {
          const body = items.flatMap((text) => [text.length, ...Buffer.from(text, "latin1")]);
          bytes.push(
            enterprise >>> 24,
            (enterprise >>> 16) & 0xff,
            (enterprise >>> 8) & 0xff,
            enterprise & 0xff,
          );
          bytes.push(body.length, ...body);
        }
        const info = parseVendorClass(Uint8Array.from(bytes));
        expect(info.binary).toEqual(blocks.map((b) => ({ ...b, layout: "items" })));
      }),
      { numRuns: 1000 },
    );
  });
});

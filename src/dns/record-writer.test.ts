import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readName } from "./message-parser.js";
import { WireWriter } from "./record-writer.js";
import { wireString } from "./wire.js";

/** The wire form as octets. */
const nameToWire = (name: string): Buffer => Buffer.from(wireString(name), "latin1");

/** The definition, label by label: length octet, UTF-8 octets, then the root's zero. */
function referenceWire(name: string): Buffer {
  const parts = name.split(".").map((label) => Buffer.from(label, "utf8"));
  return Buffer.concat([...parts.flatMap((b) => [Buffer.of(b.length), b]), Buffer.of(0)]);
}

const asciiLabel = fc.stringMatching(/^[a-z0-9_-]{1,20}$/);
const anyLabel = fc.oneof(asciiLabel, fc.constantFrom("bücher", "é", "ドメイン"));
const name = (label: fc.Arbitrary<string>) =>
  fc.array(label, { minLength: 1, maxLength: 6 }).map((labels) => labels.join("."));

describe("wireString", () => {
  it("writes length-prefixed UTF-8 labels and the root", () => {
    fc.assert(
      fc.property(name(anyLabel), (n) => {
        expect(nameToWire(n)).toEqual(referenceWire(n));
      }),
      { numRuns: 2000 },
    );
    expect([...nameToWire("")]).toEqual([0]);
    expect([...nameToWire("a.bc")]).toEqual([1, 0x61, 2, 0x62, 0x63, 0]);
  });

  it("refuses empty labels, labels over 63 octets and names over 255 octets", () => {
    expect(() => nameToWire("a..b")).toThrow(/invalid DNS label ""/);
    expect(() => nameToWire(".a")).toThrow(/invalid DNS label/);
    expect(() => nameToWire("a.")).toThrow(/invalid DNS label/);
    expect(() => nameToWire(`${"x".repeat(64)}.test`)).toThrow(/invalid DNS label "x{64}"/);
    expect(() => nameToWire(`${"é".repeat(32)}.test`)).toThrow(/invalid DNS label/); // 64 octets
    expect(nameToWire(`${"x".repeat(63)}.test`).length).toBe(70);
    const long = Array.from({ length: 4 }, () => "y".repeat(63)).join("."); // 257 octets on the wire
    expect(() => nameToWire(long)).toThrow(/longer than 255 octets/);
    expect(nameToWire(long.slice(2)).length).toBe(255);
  });
});

describe("WireWriter names", () => {
  it("every compressed name reads back as itself, pointers only backwards, never longer", () => {
    fc.assert(
      fc.property(
        name(asciiLabel),
        fc.array(fc.tuple(name(fc.constantFrom("a", "b", "sip", "_tcp")), fc.boolean()), {
          maxLength: 12,
        }),
        (question, names) => {
          const header = Buffer.alloc(12);
          const q = nameToWire(question);
          const w = new WireWriter(12 + q.length);
          w.knowName(question, 12);
          const starts: number[] = [];
          let uncompressed = 0;
          for (const [n, compress] of names) {
            starts.push(12 + q.length + w.length);
            w.name(n, compress);
            uncompressed += nameToWire(n).length;
          }
          const message = Buffer.concat([header, q, w.bytes()]);
          expect(w.length).toBeLessThanOrEqual(uncompressed);
          names.forEach(([n, compress], i) => {
            const read = readName(message, starts[i]!);
            expect(read).toMatchObject({ name: n });
            // A name written without compression has no pointer in it.
            if (!compress)
              expect(message.subarray(starts[i]!, starts[i]! + nameToWire(n).length)).toEqual(nameToWire(n));
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a writer without compression writes every name in full", () => {
    const w = new WireWriter(0, false);
    w.name("a.example.test", true);
    w.name("b.example.test", true);
    expect(w.bytes()).toEqual(Buffer.concat([nameToWire("a.example.test"), nameToWire("b.example.test")]));
  });

  it("points at the question for a repeated owner", () => {
    const w = new WireWriter(12 + nameToWire("x.test").length);
    w.knowName("x.test", 12);
    w.name("x.test", true);
    w.name("y.x.test", true);
    expect([...w.bytes()]).toEqual([0xc0, 12, 1, 0x79, 0xc0, 12]);
  });
});

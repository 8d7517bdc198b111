import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeQuery } from "./query-builder.js";
import { ParsedQuery, parseQuery, QueryStatus } from "./query-parser.js";

const parse = (bytes: Uint8Array) => {
  const q = new ParsedQuery();
  return { status: parseQuery(bytes, q), q };
};

describe("parseQuery", () => {
  it("reads the question and lowercases the key, keeping the message bytes", () => {
    const msg = encodeQuery({ name: "SIP.Fabrikam.com", type: 33, id: 0xabcd });
    const { status, q } = parse(msg);
    expect(status).toBe(QueryStatus.OK);
    expect(q.id).toBe(0xabcd);
    expect(q.qtype).toBe(33);
    expect(q.qclass).toBe(1);
    expect(q.nameLength).toBe(18);
    expect(q.questionEnd).toBe(12 + 18 + 4);
    expect(q.keyString(false)).toBe("\x03sip\x08fabrikam\x03com\x00");
    expect(q.keyString(true)).toBe("\x03sip\x08fabrikam\x03com\x00\x00\x21");
    expect(msg.toString("latin1", 13, 16)).toBe("SIP");
    expect(q.edns).toBe(false);
    expect(q.udpSize).toBe(512);
  });

  it("reads EDNS size, version and DO; sizes under 512 count as 512", () => {
    let { status, q } = parse(encodeQuery({ name: "a.b", edns: { udpSize: 4096, dnssecOk: true } }));
    expect(status).toBe(QueryStatus.OK);
    expect([q.edns, q.udpSize, q.dnssecOk]).toEqual([true, 4096, true]);
    ({ status, q } = parse(encodeQuery({ name: "a.b", edns: { udpSize: 100 } })));
    expect(q.udpSize).toBe(512);
    ({ status } = parse(encodeQuery({ name: "a.b", edns: { version: 1 } })));
    expect(status).toBe(QueryStatus.BADVERS);
  });

  it("applies the gate in order", () => {
    const base = encodeQuery({ name: "x.y" });
    const mut = (f: (b: Buffer) => void) => {
      const b = Buffer.from(base);
      f(b);
      return parse(b).status;
    };
    expect(parse(base.subarray(0, 11)).status).toBe(QueryStatus.DROP);
    expect(mut((b) => (b[2] = b[2]! | 0x80))).toBe(QueryStatus.DROP);
    // A response with a bad opcode is still dropped: QR is checked first.
    expect(mut((b) => (b[2] = b[2]! | 0x80 | (5 << 3)))).toBe(QueryStatus.DROP);
    expect(mut((b) => (b[2] = b[2]! | (2 << 3)))).toBe(QueryStatus.NOTIMP);
    expect(mut((b) => b.writeUInt16BE(2, 4))).toBe(QueryStatus.FORMERR);
    expect(mut((b) => b.writeUInt16BE(0, 4))).toBe(QueryStatus.FORMERR);
    expect(mut((b) => b.writeUInt16BE(1, 6))).toBe(QueryStatus.FORMERR);
    expect(mut((b) => b.writeUInt16BE(1, 8))).toBe(QueryStatus.FORMERR);
    expect(mut((b) => b.writeUInt16BE(2, 10))).toBe(QueryStatus.FORMERR);
    // AR=1 but no OPT follows.
    expect(mut((b) => b.writeUInt16BE(1, 10))).toBe(QueryStatus.FORMERR);
    // A compression pointer in the question.
    const ptr = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(parse(ptr).status).toBe(QueryStatus.FORMERR);
    // A label running past the end, a missing qtype.
    expect(parse(base.subarray(0, 14)).status).toBe(QueryStatus.FORMERR);
    expect(parse(base.subarray(0, base.length - 1)).status).toBe(QueryStatus.FORMERR);
  });

  it("rejects an OPT not owned by the root or with options that do not tile its RDATA", () => {
    const good = encodeQuery({ name: "x.y", edns: {} });
    const notRoot = Buffer.concat([
      good.subarray(0, good.length - 11),
      Buffer.from([1, 0x61]),
      good.subarray(good.length - 10),
    ]);
    expect(parse(notRoot).status).toBe(QueryStatus.FORMERR);
    const withOption = Buffer.concat([good, Buffer.from([0, 10, 0, 2, 1, 2])]);
    withOption.writeUInt16BE(6, good.length - 2);
    expect(parse(withOption).status).toBe(QueryStatus.OK);
    const ragged = Buffer.from(withOption);
    ragged.writeUInt16BE(5, good.length + 2);
    expect(parse(ragged).status).toBe(QueryStatus.FORMERR);
  });

  it("rejects names over 255 octets", () => {
    const labels = Array.from({ length: 5 }, () => "a".repeat(63));
    const parts = labels.flatMap((l) => [Buffer.from([63]), Buffer.from(l)]);
    const msg = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      ...parts,
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    expect(parse(msg).status).toBe(QueryStatus.FORMERR);
  });

  it("never throws and keeps its offsets inside the packet (random bytes)", () => {
    const q = new ParsedQuery();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const status = parseQuery(bytes, q);
        if (status === QueryStatus.OK) {
          expect(q.questionEnd).toBeLessThanOrEqual(bytes.length);
          expect(q.messageEnd).toBeLessThanOrEqual(bytes.length);
          expect(q.nameLength).toBeLessThanOrEqual(255);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("never throws on mutated valid queries, and agrees with the builder when unmutated", () => {
    const q = new ParsedQuery();
    const query = fc
      .record({
        labels: fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), { minLength: 0, maxLength: 6 }),
        type: fc.integer({ min: 0, max: 0xffff }),
        edns: fc.option(fc.record({ udpSize: fc.integer({ min: 0, max: 0xffff }), version: fc.constant(0) })),
      })
      .map(({ labels, type, edns }) => ({
        bytes: encodeQuery({ name: labels.join("."), type, ...(edns ? { edns } : {}) }),
        type,
      }));
    fc.assert(
      fc.property(
        query,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (g, flips) => {
          expect(parseQuery(g.bytes, q)).toBe(QueryStatus.OK);
          expect(q.qtype).toBe(g.type);
          const mutated = Buffer.from(g.bytes);
          for (const [at, v] of flips) mutated[at % mutated.length] = v;
          const cut = mutated.subarray(
            0,
            flips.length > 0 ? flips[0]![0] % (mutated.length + 1) : mutated.length,
          );
          parseQuery(mutated, q);
          parseQuery(cut, q);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseMessage, rdataText, readName, soaMinimum } from "./message-parser.js";
import { encodeQuery } from "./query-builder.js";
import { WireWriter } from "./record-writer.js";

/** A response built with the zone writer: header, question, then the given records in the answer. */
function response(
  records: Parameters<WireWriter["record"]>[],
  authority: Parameters<WireWriter["record"]>[] = [],
): Buffer {
  const q = encodeQuery({ name: "svc.example.test", type: 33, id: 9 });
  const w = new WireWriter(q.length);
  w.knowName("svc.example.test", 12);
  for (const r of records) w.record(...r);
  for (const r of authority) w.record(...r);
  const out = Buffer.concat([q, w.bytes()]);
  out[2] = out[2]! | 0x84;
  out.writeUInt16BE(records.length, 6);
  out.writeUInt16BE(authority.length, 8);
  return out;
}

describe("parseMessage", () => {
  it("parses compressed names, TTL offsets and RDATA", () => {
    const msg = response([
      [
        "svc.example.test",
        300,
        { type: "SRV", priority: 1, weight: 2, port: 5061, target: "host.example.test" },
      ],
      ["host.example.test", 60, { type: "A", address: "203.0.113.5" }],
    ]);
    const r = parseMessage(msg);
    if (!r.ok) throw new Error(r.error);
    const m = r.message;
    expect(m.id).toBe(9);
    expect(m.questions[0]!.name).toBe("svc.example.test");
    expect(m.answers.map((a) => [a.name, a.ttl, rdataText(msg, a)])).toEqual([
      ["svc.example.test", 300, "1 2 5061 host.example.test."],
      ["host.example.test", 60, "203.0.113.5"],
    ]);
    expect(msg.readUInt32BE(m.answers[1]!.ttlOffset)).toBe(60);
  });

  it("reads the SOA minimum for negative caching", () => {
    const soa = {
      type: "SOA" as const,
      mname: "ns.example.test",
      rname: "h.example.test",
      serial: 1,
      refresh: 2,
      retry: 3,
      expire: 4,
      minimum: 77,
    };
    const msg = response([], [["example.test", 900, soa]]);
    const r = parseMessage(msg);
    if (!r.ok) throw new Error(r.error);
    expect(soaMinimum(msg, r.message.authorities[0]!)).toBe(77);
  });

  it("rejects pointer loops, forward pointers and count bombs quickly", () => {
    const loop = Buffer.from([0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(parseMessage(loop).ok).toBe(false);
    expect(readName(Buffer.from([3, 0x61, 0x62, 0x63, 0xc0, 0]), 0)).toHaveProperty("error");
    const forward = Buffer.from([0xc0, 2, 0]);
    expect(readName(forward, 0)).toHaveProperty("error");
    // 40 octets claiming 65,535 records of each kind.
    const bomb = Buffer.alloc(40);
    bomb.writeUInt16BE(0xffff, 4);
    bomb.writeUInt16BE(0xffff, 6);
    bomb.writeUInt16BE(0xffff, 8);
    bomb.writeUInt16BE(0xffff, 10);
    const start = process.hrtime.bigint();
    const r = parseMessage(bomb);
    const micros = Number(process.hrtime.bigint() - start) / 1000;
    expect(r.ok).toBe(false);
    expect(micros).toBeLessThan(5000);
  });

  it("a long chain of backward pointers is bounded", () => {
    // Each name is a pointer to the previous one: 200 hops.
    const parts: number[] = [0];
    for (let i = 1; i <= 200; i++) parts.push(0xc0 | ((i * 2 - 1) >> 8), (i * 2 - 1) & 0xff);
    const buf = Buffer.from(parts);
    expect(readName(buf, buf.length - 2)).toHaveProperty("error");
  });

  it("never throws on random or mutated messages", () => {
    const valid = response([
      [
        "svc.example.test",
        300,
        { type: "SRV", priority: 1, weight: 2, port: 5061, target: "host.example.test" },
      ],
      ["host.example.test", 60, { type: "AAAA", address: "2001:db8::1" }],
      ["svc.example.test", 60, { type: "TXT", strings: ["x"] }],
    ]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        const r = parseMessage(bytes);
        if (r.ok)
          for (const a of r.message.answers)
            expect(a.rdataOffset + a.rdlength).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (flips, cut) => {
          const m = Buffer.from(valid);
          for (const [at, v] of flips) m[at % m.length] = v;
          const r = parseMessage(m.subarray(0, cut % (m.length + 1)));
          if (r.ok) {
            for (const a of r.message.answers) {
              try {
                rdataText(m, a);
              } catch {
                // rdataText is a diagnostic that may throw on bad names; parseMessage itself must not.
              }
            }
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});

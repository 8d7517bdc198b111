import { describe, expect, it } from "vitest";
import { parseMessage } from "./message-parser.js";
import { encodeQuery } from "./query-builder.js";
import { WireWriter } from "./record-writer.js";
import { cacheSeconds, ResponseCache, serveCached } from "./response-cache.js";

function upstreamAnswer(ttls: number[], rcode = 0, soaTtl?: number): Buffer {
  const q = encodeQuery({ name: "www.example.net", id: 1 });
  const w = new WireWriter(q.length);
  w.knowName("www.example.net", 12);
  for (const [i, ttl] of ttls.entries())
    w.record("www.example.net", ttl, { type: "A", address: `203.0.113.${i + 1}` });
  if (soaTtl !== undefined) {
    w.record("example.net", soaTtl, {
      type: "SOA",
      mname: "ns.example.net",
      rname: "h.example.net",
      serial: 1,
      refresh: 1,
      retry: 1,
      expire: 1,
      minimum: 60,
    });
  }
  const out = Buffer.concat([q, w.bytes()]);
  out[2] = out[2]! | 0x80;
  out[3] = 0x80 | rcode;
  out.writeUInt16BE(ttls.length, 6);
  out.writeUInt16BE(soaTtl === undefined ? 0 : 1, 8);
  return out;
}

const parsed = (b: Buffer) => {
  const r = parseMessage(b);
  if (!r.ok) throw new Error(r.error);
  return r.message;
};

describe("response cache", () => {
  it("caches positive answers for their smallest TTL and negative ones by the SOA", () => {
    const pos = upstreamAnswer([300, 100]);
    expect(cacheSeconds(pos, parsed(pos))).toBe(100);
    const nx = upstreamAnswer([], 3, 900);
    expect(cacheSeconds(nx, parsed(nx))).toBe(60);
    const noSoa = upstreamAnswer([], 3);
    expect(cacheSeconds(noSoa, parsed(noSoa))).toBe(0);
    const servfail = upstreamAnswer([], 2, 900);
    expect(cacheSeconds(servfail, parsed(servfail))).toBe(0);
  });

  it("serves with the client's ID and question case, TTLs decremented, and expires", () => {
    const cache = new ResponseCache(10);
    const bytes = upstreamAnswer([300, 100]);
    cache.store("k", bytes, parsed(bytes), 1_000);
    const query = encodeQuery({ name: "WWW.Example.NET", id: 0x4242 });
    const entry = cache.get("k", 31_500)!;
    const out = serveCached(entry, query, 31_500);
    const m = parsed(out);
    expect(m.id).toBe(0x4242);
    expect(m.questions[0]!.name).toBe("WWW.Example.NET");
    expect(m.answers.map((a) => a.ttl)).toEqual([270, 70]);
    expect(bytes.readUInt32BE(m.answers[0]!.ttlOffset)).toBe(300);
    expect(cache.get("k", 101_000)).toBeUndefined();
  });

  it("holds at most maxEntries", () => {
    const cache = new ResponseCache(3);
    const bytes = upstreamAnswer([300]);
    for (let i = 0; i < 10; i++) cache.store(`k${i}`, bytes, parsed(bytes), 0);
    expect(cache.size).toBe(3);
    expect(cache.get("k9", 0)).toBeDefined();
    expect(cache.get("k0", 0)).toBeUndefined();
  });
});

/**
 * Forwarding against fake upstreams on 127.0.0.1: relay with a new ID, spoof rejection, failover,
 * SERVFAIL, caching with decremented TTLs, negative caching, access control, AA kept on zone answers.
 */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import type { RecordData } from "../../src/config/site.js";
import { DnsService } from "../../src/dns/dns-service.js";
import { parseMessage } from "../../src/dns/message-parser.js";
import { WireWriter } from "../../src/dns/record-writer.js";
import { RecordingSink } from "../../src/observe/events.js";
import { dig } from "./dig.js";
import { exampleSite } from "./site-fixture.js";

type Handler = (query: Buffer, reply: (msg: Buffer, from?: dgram.Socket) => void) => void;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function udpSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  cleanups.push(() => {
    s.close();
  });
  return s;
}

/** A fake upstream: `handler` gets each query and a reply function (optionally from another socket). */
async function fakeUpstream(handler: Handler): Promise<{ port: number; queries: Buffer[] }> {
  const s = await udpSocket();
  const queries: Buffer[] = [];
  s.on("message", (msg, rinfo) => {
    queries.push(msg);
    handler(msg, (out, from = s) => from.send(out, rinfo.port, rinfo.address));
  });
  return { port: s.address().port, queries };
}

/** An upstream reply to `query`: its header and question, our records. */
function answerTo(
  query: Buffer,
  rcode: number,
  answers: [string, number, RecordData][],
  authority: [string, number, RecordData][] = [],
): Buffer {
  const parsed = parseMessage(query);
  if (!parsed.ok) throw new Error(parsed.error);
  const qEnd = parsed.message.questions[0]!.end;
  const w = new WireWriter(qEnd);
  w.knowName(parsed.message.questions[0]!.name.toLowerCase(), 12);
  for (const r of answers) w.record(...r);
  for (const r of authority) w.record(...r);
  const out = Buffer.concat([query.subarray(0, qEnd), w.bytes()]);
  out[2] = 0x80 | (query[2]! & 0x01);
  out[3] = 0x80 | rcode;
  out.writeUInt16BE(answers.length, 6);
  out.writeUInt16BE(authority.length, 8);
  out.writeUInt16BE(0, 10);
  return out;
}

const A = (address: string): RecordData => ({ type: "A", address });
const SOA: RecordData = {
  type: "SOA",
  mname: "ns.example.net",
  rname: "h.example.net",
  serial: 1,
  refresh: 1,
  retry: 1,
  expire: 1,
  minimum: 60,
};

async function serve(ports: number[], extra: Parameters<typeof exampleSite>[0] = {}, now?: () => number) {
  const events = new RecordingSink();
  const site = await exampleSite({
    forwarders: ports.map((port) => ({ address: "127.0.0.1", port })),
    forwardTimeoutMs: 300,
    ...extra,
  });
  const service = new DnsService(site, { events, ...(now ? { now } : {}) });
  await service.start();
  cleanups.push(() => service.stop());
  return { service, events, port: service.addresses().udp[0]!.port };
}

describe("forwarding", () => {
  it("relays with a new ID, returns the client's ID, sets RA not AA, and caches with decremented TTLs", async () => {
    const up = await fakeUpstream((q, reply) =>
      reply(answerTo(q, 0, [["www.example.net", 300, A("203.0.113.80")]])),
    );
    let clock = 1_000_000;
    const { port, events } = await serve([up.port], {}, () => clock);
    const first = await dig("dig", port, "www.example.net", "A");
    expect(first.status).toBe("NOERROR");
    expect(first.answer).toEqual(["www.example.net. 300 A 203.0.113.80"]);
    expect(first.flags.split(" ")).toContain("ra");
    expect(first.flags.split(" ")).not.toContain("aa");
    expect(up.queries).toHaveLength(1);
    clock += 10_500;
    const second = await dig("dig", port, "WWW.example.NET", "A");
    expect(second.answer).toEqual(["WWW.example.NET. 290 A 203.0.113.80"]);
    expect(up.queries).toHaveLength(1);
    const sources = events.events.flatMap((e) => (e.type === "dns.query" ? [e.source] : []));
    expect(sources).toEqual(["forward", "cache"]);
    // A client without EDNS must not get a cached reply carrying an OPT: separate entry.
    const plain = await dig("kdig", port, "www.example.net", "A");
    expect([plain.answer, plain.udpSize]).toEqual([["www.example.net. 300 A 203.0.113.80"], undefined]);
    expect(up.queries).toHaveLength(2);
  });

  it("uses a fresh random ID and source port per relayed query", async () => {
    const seen: number[] = [];
    const up = await fakeUpstream((q, reply) => {
      seen.push(q.readUInt16BE(0));
      reply(answerTo(q, 0, [["a.example.net", 5, A("203.0.113.1")]]));
    });
    const { port } = await serve([up.port], { cacheEntries: 0 });
    for (let i = 0; i < 4; i++) await dig("dig", port, `n${i}.example.net`, "A");
    expect(new Set(seen).size).toBeGreaterThan(1);
  });

  it("ignores replies with the wrong ID, the wrong question or from the wrong port", async () => {
    const other = await udpSocket();
    const up = await fakeUpstream((q, reply) => {
      const wrongId = answerTo(q, 0, [["www.example.net", 60, A("198.51.100.66")]]);
      wrongId.writeUInt16BE((q.readUInt16BE(0) + 1) & 0xffff, 0);
      reply(wrongId);
      const wrongQuestion = answerTo(q, 0, [["www.example.net", 60, A("198.51.100.67")]]);
      wrongQuestion[13] = wrongQuestion[13]! ^ 0x01; // changes a letter of the qname
      reply(wrongQuestion);
      reply(answerTo(q, 0, [["www.example.net", 60, A("198.51.100.68")]]), other);
      setTimeout(() => reply(answerTo(q, 0, [["www.example.net", 60, A("203.0.113.99")]])), 20);
    });
    const { port } = await serve([up.port]);
    const r = await dig("dig", port, "www.example.net", "A");
    expect(r.answer).toEqual(["www.example.net. 60 A 203.0.113.99"]);
  });

  it("fails over to the next upstream on timeout, and SERVFAILs when all fail", async () => {
    const silent = await fakeUpstream(() => {});
    const refusing = await fakeUpstream((q, reply) => reply(answerTo(q, 5, [])));
    const good = await fakeUpstream((q, reply) =>
      reply(answerTo(q, 0, [["www.example.net", 60, A("203.0.113.5")]])),
    );
    const a = await serve([silent.port, refusing.port, good.port]);
    const r = await dig("dig", a.port, "www.example.net", "A");
    expect(r.answer).toEqual(["www.example.net. 60 A 203.0.113.5"]);
    expect([silent.queries.length, refusing.queries.length, good.queries.length]).toEqual([1, 1, 1]);
    const b = await serve([silent.port, refusing.port]);
    const start = Date.now();
    const fail = await dig("dig", b.port, "other.example.net", "A");
    expect(fail.status).toBe("SERVFAIL");
    expect(Date.now() - start).toBeLessThan(1500);
  });

  it("caches NXDOMAIN by the SOA minimum", async () => {
    const up = await fakeUpstream((q, reply) => reply(answerTo(q, 3, [], [["example.net", 900, SOA]])));
    let clock = 0;
    const { port } = await serve([up.port], {}, () => clock);
    expect((await dig("dig", port, "gone.example.net", "A")).status).toBe("NXDOMAIN");
    clock += 59_000;
    expect((await dig("dig", port, "gone.example.net", "A")).status).toBe("NXDOMAIN");
    expect(up.queries).toHaveLength(1);
    clock += 2_000;
    expect((await dig("dig", port, "gone.example.net", "A")).status).toBe("NXDOMAIN");
    expect(up.queries).toHaveLength(2);
  });

  it("keeps AA on zone answers with forwarding on, and refuses clients outside forwardAllow", async () => {
    const up = await fakeUpstream((q, reply) =>
      reply(answerTo(q, 0, [["www.example.net", 60, A("203.0.113.5")]])),
    );
    const on = await serve([up.port]);
    const zone = await dig("dig", on.port, "sip.fabrikam.com", "A");
    expect(zone.flags.split(" ")).toEqual(expect.arrayContaining(["aa", "ra"]));
    const nx = await dig("dig", on.port, "_sip._tcp.fabrikam.com", "SRV");
    expect([nx.status, nx.authority.length]).toEqual(["NXDOMAIN", 1]);
    const closed = await serve([up.port], {
      forwardAllow: [{ text: "198.51.100.0/24", network: 0xc6336400, prefix: 24, mask: 0xffffff00 }],
    });
    expect((await dig("dig", closed.port, "www.example.net", "A")).status).toBe("REFUSED");
    expect(up.queries).toHaveLength(0);
  });
});

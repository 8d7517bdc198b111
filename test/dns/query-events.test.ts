/**
 * What a `dns.query` event says of the answer (the timeline prints it): the answer records' data in
 * zone-file form for authoritative, forwarded and cached answers; nothing for NXDOMAIN, NODATA or a
 * truncated reply. A fake upstream on 127.0.0.1 stands in for the forwarder's resolver.
 */
import dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerQuery, type ClientInfo, createEngine, type DnsEngine } from "../../src/dns/engine.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { ParsedQuery, parseQuery } from "../../src/dns/query-parser.js";
import { TYPE } from "../../src/dns/wire.js";
import type { DnsQueryEvent, SitebootEvent } from "../../src/observe/events.js";
import { exampleSite } from "./site-fixture.js";

const CLIENT: ClientInfo = { address: "127.0.0.1", port: 40_000, transport: "udp" };
let upstream: dgram.Socket;
let engine: DnsEngine;
const events: SitebootEvent[] = [];

/** Two A records for any name asked. */
function upstreamReply(query: Buffer): Buffer {
  const q = new ParsedQuery();
  parseQuery(query, q);
  const head = Buffer.from(query.subarray(0, q.questionEnd));
  head[2] = 0x80 | (query[2]! & 0x01);
  head[3] = 0x80;
  head.writeUInt16BE(2, 6);
  head.writeUInt16BE(0, 10);
  const a = (last: number) => Buffer.from([0xc0, 12, 0, TYPE.A, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, last]);
  return Buffer.concat([head, a(80), a(81)]);
}

beforeAll(async () => {
  upstream = dgram.createSocket("udp4");
  upstream.on("message", (m, from) => upstream.send(upstreamReply(m), from.port, from.address));
  await new Promise<void>((r) => upstream.bind(0, "127.0.0.1", () => r()));
  const site = await exampleSite({ forwarders: [{ address: "127.0.0.1", port: upstream.address().port }] });
  engine = createEngine(site.dns, { events: { emit: (e) => events.push(e) } });
});

afterAll(() => upstream?.close());

async function ask(name: string, type: number): Promise<DnsQueryEvent> {
  events.length = 0;
  await answerQuery(engine, encodeQuery({ name, type }), CLIENT);
  const event = events.find((e): e is DnsQueryEvent => e.type === "dns.query");
  if (!event) throw new Error(`no dns.query event for ${name}`);
  return event;
}

describe("the answer a dns.query event carries", () => {
  it("an authoritative SRV and A answer, in zone-file form", async () => {
    const srv = await ask("_sipinternaltls._tcp.fabrikam.com", TYPE.SRV);
    expect([srv.rcode, srv.source, srv.answer]).toEqual([
      "NOERROR",
      "authority",
      "0 0 5061 pool01.contoso.com.",
    ]);
    const a = await ask("sip.fabrikam.com", TYPE.A);
    expect(a.answer).toBe("198.51.100.20");
  });

  it("no answer text for NXDOMAIN and NODATA", async () => {
    const nx = await ask("time.windows.com.contoso.com", TYPE.A);
    expect([nx.rcode, nx.answers, nx.answer]).toEqual(["NXDOMAIN", 0, undefined]);
    const nodata = await ask("sip.fabrikam.com", TYPE.AAAA);
    expect([nodata.rcode, nodata.answers, nodata.answer]).toEqual(["NOERROR", 0, undefined]);
  });

  it("a forwarded answer, and the same answer again from the cache", async () => {
    const forwarded = await ask("www.example.net", TYPE.A);
    expect([forwarded.source, forwarded.answer]).toEqual(["forward", "203.0.113.80, 203.0.113.81"]);
    const cached = await ask("www.example.net", TYPE.A);
    expect([cached.source, cached.answer]).toEqual(["cache", "203.0.113.80, 203.0.113.81"]);
  });
});

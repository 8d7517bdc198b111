/**
 * Response-rate limiting of forwarded answers (relayed and from the cache), against a fake upstream
 * on 127.0.0.1: positive answers per qname and type, negative ones per qname, on the engine's clock.
 */
import dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerQuery, type ClientInfo, createEngine, type DnsEngine } from "../../src/dns/engine.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { ParsedQuery, parseQuery } from "../../src/dns/query-parser.js";
import { RCODE, TYPE, wireToName } from "../../src/dns/wire.js";
import { decodeReply, exampleSite } from "./site-fixture.js";

const CLIENT: ClientInfo = { address: "127.0.0.1", port: 40_000, transport: "udp" };
let upstream: dgram.Socket;
let engine: DnsEngine;
let relayed = 0;

/** The upstream: one A record for names under example.net; NXDOMAIN for names starting "nx", SERVFAIL for "fail". */
function upstreamReply(query: Buffer): Buffer {
  const q = new ParsedQuery();
  parseQuery(query, q);
  const qname = wireToName(q.key, 0, q.nameLength);
  const nx = qname.startsWith("nx");
  const fail = qname.startsWith("fail");
  const head = Buffer.from(query.subarray(0, q.questionEnd));
  head[2] = 0x80 | (query[2]! & 0x01);
  head[3] = 0x80 | (fail ? RCODE.SERVFAIL : nx ? RCODE.NXDOMAIN : RCODE.NOERROR);
  head.writeUInt16BE(nx || fail ? 0 : 1, 6);
  head.writeUInt16BE(0, 10);
  if (nx || fail) return head;
  const record = Buffer.from([0xc0, 12, 0, TYPE.A, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 80]);
  return Buffer.concat([head, record]);
}

beforeAll(async () => {
  upstream = dgram.createSocket("udp4");
  upstream.on("message", (m, from) => {
    relayed++;
    upstream.send(upstreamReply(m), from.port, from.address);
  });
  await new Promise<void>((r) => upstream.bind(0, "127.0.0.1", () => r()));
  const site = await exampleSite({
    forwarders: [{ address: "127.0.0.1", port: upstream.address().port }],
    rateLimit: { responsesPerSecond: 2, nxdomainsPerSecond: 3, errorsPerSecond: 2, slip: 0 },
  });
  engine = createEngine(site.dns, { now: () => 7_000 });
});

afterAll(() => {
  upstream?.close();
});

/** Asks `count` times, one after the other; how many real answers came back. */
async function served(name: string, count: number): Promise<number> {
  let full = 0;
  for (let i = 0; i < count; i++) {
    const out = await answerQuery(engine, encodeQuery({ name, id: i }), CLIENT);
    if (out !== null && !(out[2]! & 0x02)) full++;
  }
  return full;
}

describe("RRL of forwarded answers", () => {
  it("limits identical positive answers, relayed or cached, per qname and type", async () => {
    expect(await served("www.example.net", 5)).toBe(2);
    expect(relayed).toBe(1);
    expect(await served("mail.example.net", 5)).toBe(2);
    const out = await answerQuery(engine, encodeQuery({ name: "other.example.net" }), CLIENT);
    expect(decodeReply(out!).answer).toEqual(["other.example.net. 60 A 203.0.113.80"]);
  });

  it("limits negative answers per qname (the upstream's zone is not known) at their own rate", async () => {
    expect(await served("nx1.example.net", 5)).toBe(3);
    expect(await served("nx2.example.net", 5)).toBe(3);
  });

  it("limits the SERVFAIL of a failed upstream as an error, one allowance per client network", async () => {
    const out = await answerQuery(engine, encodeQuery({ name: "fail1.example.net" }), CLIENT);
    expect(decodeReply(out!).rcode).toBe("SERVFAIL");
    expect((await served("fail2.example.net", 3)) + (await served("fail3.example.net", 3))).toBe(1);
  });
});

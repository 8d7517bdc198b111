/**
 * Test sites: the shipped example (config/site.yaml, loaded through the real config path) bound to
 * 127.0.0.1 on an ephemeral port, plus a hand-built "edge.test" zone for the corner cases the
 * example does not exercise (CNAME chains and loops, many A records, AAAA, MX, TXT, deep names).
 */
import { fileURLToPath } from "node:url";
import { loadSite } from "../../src/config/load.js";
import type { DnsSite, RecordData, ResourceRecord, Site, Zone } from "../../src/config/site.js";
import { parseMessage, rdataText } from "../../src/dns/message-parser.js";
import { rcodeName, typeName } from "../../src/dns/wire.js";

export const EXAMPLE_SITE = fileURLToPath(new URL("../../config/site.yaml", import.meta.url));

export async function exampleSite(
  dns: Partial<DnsSite> = {},
  extraZones: readonly Zone[] = [],
): Promise<Site> {
  const loaded = await loadSite(EXAMPLE_SITE);
  if (!loaded.ok) throw new Error(`config/site.yaml did not load: ${JSON.stringify(loaded.errors)}`);
  const site = loaded.site;
  const zones = [...site.dns.zones, ...extraZones].sort((a, b) => b.origin.length - a.origin.length);
  return {
    ...site,
    listen: { ...site.listen, bind: ["127.0.0.1"], ports: { ...site.listen.ports, dns: 0 } },
    // Rate limiting off unless a test turns it on: the suites send many queries from loopback.
    dns: { ...site.dns, rateLimit: { responsesPerSecond: 0, slip: 2 }, ...dns, zones },
  };
}

const NEGATIVE_TTL = 300;

/** A zone as the config derivation builds it: SOA first, NS, then the records given. */
export function buildZone(origin: string, lines: readonly [string, RecordData, number?][]): Zone {
  const abs = (n: string) => (n === "@" ? origin : n.endsWith(".") ? n.slice(0, -1) : `${n}.${origin}`);
  const soaData = {
    type: "SOA" as const,
    mname: "siteboot.contoso.com",
    rname: `hostmaster.${origin}`,
    serial: 7,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: NEGATIVE_TTL,
  };
  const soa = { name: origin, ttl: 3600, data: soaData };
  const records: ResourceRecord[] = [
    soa,
    { name: origin, ttl: 3600, data: { type: "NS", host: "siteboot.contoso.com" } },
  ];
  for (const [name, data, ttl] of lines) records.push({ name: abs(name), ttl: ttl ?? 3600, data });
  return { origin, records, soa, synthesized: false };
}

const a = (address: string): RecordData => ({ type: "A", address });
const cname = (target: string): RecordData => ({ type: "CNAME", target });

export function edgeZone(): Zone {
  const lines: [string, RecordData, number?][] = [
    ["@", { type: "MX", preference: 10, exchange: "mail.edge.test" }],
    ["mail", a("203.0.113.25")],
    ["multi", a("203.0.113.1")],
    ["multi", a("203.0.113.2")],
    ["multi", a("203.0.113.3")],
    ["alias", cname("alias2.edge.test"), 60],
    ["alias2", cname("host.edge.test"), 120],
    ["host", a("203.0.113.7")],
    ["host", { type: "AAAA", address: "2001:db8::7" }],
    ["out", cname("www.example.net")],
    ["dangling", cname("missing.edge.test")],
    ["loop1", cname("loop2.edge.test")],
    ["loop2", cname("loop1.edge.test")],
    ["txt", { type: "TXT", strings: ["hello world", "second"] }],
    ["_sip._udp", { type: "SRV", priority: 0, weight: 0, port: 5060, target: "host.edge.test" }],
    ["_sip._udp", { type: "SRV", priority: 1, weight: 0, port: 5060, target: "host.edge.test" }],
    ["a.b.c", a("203.0.113.9")],
  ];
  for (let i = 1; i <= 100; i++) lines.push(["big", a(`203.0.113.${i}`)]);
  // Ten SRV targets with three addresses each: the glue does not fit in 512 octets, the answer does.
  for (let t = 1; t <= 10; t++) {
    lines.push([
      "_many._tcp",
      { type: "SRV", priority: 0, weight: 0, port: 5060, target: `t${t}.edge.test` },
    ]);
    for (let i = 1; i <= 3; i++) lines.push([`t${t}`, a(`198.51.100.${t * 10 + i}`)]);
  }
  return buildZone("edge.test", lines);
}

export interface DecodedReply {
  readonly id: number;
  readonly rcode: string;
  /** Set header flags in dig's order and spelling: qr aa tc rd ra. */
  readonly flags: string;
  readonly question: string;
  readonly answer: string[];
  readonly authority: string[];
  readonly additional: string[];
  readonly opt: { udpSize: number; version: number; extendedRcode: number } | undefined;
  readonly length: number;
}

/** Decodes a reply into dig-like lines: `name. TTL TYPE rdata`. Throws on a malformed reply. */
export function decodeReply(bytes: Uint8Array): DecodedReply {
  const parsed = parseMessage(bytes);
  if (!parsed.ok) throw new Error(`malformed reply: ${parsed.error}`);
  const m = parsed.message;
  const line = (r: (typeof m.answers)[number]) =>
    `${r.name}. ${r.ttl} ${typeName(r.type)} ${rdataText(bytes, r)}`;
  const flagNames: [number, string][] = [
    [0x8000, "qr"],
    [0x0400, "aa"],
    [0x0200, "tc"],
    [0x0100, "rd"],
    [0x0080, "ra"],
  ];
  const q = m.questions[0];
  return {
    id: m.id,
    rcode: rcodeName(m.rcode),
    flags: flagNames
      .filter(([bit]) => m.flags & bit)
      .map(([, n]) => n)
      .join(" "),
    question: q ? `${q.name}. ${typeName(q.type)}` : "",
    answer: m.answers.map(line),
    authority: m.authorities.map(line),
    additional: m.additionals.map(line),
    opt: m.opt
      ? { udpSize: m.opt.udpSize, version: m.opt.version, extendedRcode: m.opt.extendedRcode }
      : undefined,
    length: bytes.length,
  };
}

/**
 * Table-driven authority tests against config/site.yaml plus the edge.test zone:
 * qname, qtype → rcode, flags, answer, authority, additional (dig-like lines).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { answerQuery, createEngine, type DnsEngine } from "../../src/dns/engine.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { typeCode, wireString } from "../../src/dns/wire.js";
import { decodeReply, edgeZone, exampleSite } from "./site-fixture.js";

let engine: DnsEngine;
const client = { address: "127.0.0.1", port: 40000, transport: "udp" as const };

beforeAll(async () => {
  engine = createEngine((await exampleSite({}, [edgeZone()])).dns);
});

function ask(name: string, type: string, edns = true) {
  const query = encodeQuery({
    name,
    type: typeCode(type)!,
    id: 0xbeef,
    ...(edns ? { edns: { udpSize: 1232 } } : {}),
  });
  const reply = answerQuery(engine, query, client);
  if (!(reply instanceof Buffer)) throw new Error("expected a synchronous reply");
  const d = decodeReply(reply);
  const soaSerial = (l: string) => l.replace(/ SOA (\S+) (\S+) \d+ /, " SOA $1 $2 SERIAL ");
  return { ...d, authority: d.authority.map(soaSerial) };
}

const CONTOSO_SOA =
  "contoso.com. 300 SOA siteboot.contoso.com. hostmaster.contoso.com. SERIAL 3600 600 86400 300";
const FABRIKAM_SOA =
  "fabrikam.com. 300 SOA siteboot.contoso.com. hostmaster.fabrikam.com. SERIAL 3600 600 86400 300";
const EDGE_SOA = "edge.test. 300 SOA siteboot.contoso.com. hostmaster.edge.test. SERIAL 3600 600 86400 300";

type Row = [
  name: string,
  type: string,
  rcode: string,
  flags: string,
  answer: string[],
  authority: string[],
  additional: string[],
];

const rows: Row[] = [
  // The CX700 sign-in sequence (deployment guide, steps 2–22); time.windows.com is this box
  // (ntp.isolatedLab), so the phone's built-in time server answers in a lab without internet.
  ["time.windows.com", "A", "NOERROR", "qr aa rd", ["time.windows.com. 3600 A 198.51.100.2"], [], []],
  ["time.windows.com.contoso.com", "A", "NXDOMAIN", "qr aa rd", [], [CONTOSO_SOA], []],
  [
    "_ntp._udp.fabrikam.com",
    "SRV",
    "NOERROR",
    "qr aa rd",
    ["_ntp._udp.fabrikam.com. 3600 SRV 0 0 123 ntp.contoso.com."],
    [],
    ["ntp.contoso.com. 3600 A 198.51.100.2"],
  ],
  ["dc01.contoso.com", "A", "NOERROR", "qr aa rd", ["dc01.contoso.com. 3600 A 198.51.100.10"], [], []],
  [
    "_sipinternaltls._tcp.fabrikam.com",
    "SRV",
    "NOERROR",
    "qr aa rd",
    ["_sipinternaltls._tcp.fabrikam.com. 3600 SRV 0 0 5061 pool01.contoso.com."],
    [],
    ["pool01.contoso.com. 3600 A 198.51.100.20"],
  ],
  ["pool01.contoso.com", "A", "NOERROR", "qr aa rd", ["pool01.contoso.com. 3600 A 198.51.100.20"], [], []],
  ["_sipinternal._tcp.fabrikam.com", "SRV", "NXDOMAIN", "qr aa rd", [], [FABRIKAM_SOA], []],
  ["_sipinternal._tcp.fabrikam.com.contoso.com", "SRV", "NXDOMAIN", "qr aa rd", [], [CONTOSO_SOA], []],
  [
    "_sip._tls.fabrikam.com",
    "SRV",
    "NOERROR",
    "qr aa rd",
    ["_sip._tls.fabrikam.com. 3600 SRV 0 0 443 sip.fabrikam.com."],
    [],
    ["sip.fabrikam.com. 3600 A 198.51.100.20"],
  ],
  ["_sip._tls.fabrikam.com.contoso.com", "SRV", "NXDOMAIN", "qr aa rd", [], [CONTOSO_SOA], []],
  ["_sip._tcp.fabrikam.com", "SRV", "NXDOMAIN", "qr aa rd", [], [FABRIKAM_SOA], []],
  ["_sip._tcp.fabrikam.com.contoso.com", "SRV", "NXDOMAIN", "qr aa rd", [], [CONTOSO_SOA], []],
  ["sip.fabrikam.com", "A", "NOERROR", "qr aa rd", ["sip.fabrikam.com. 3600 A 198.51.100.20"], [], []],
  [
    "_ldap._tcp.dc._msdcs.contoso.com",
    "SRV",
    "NOERROR",
    "qr aa rd",
    ["_ldap._tcp.dc._msdcs.contoso.com. 3600 SRV 0 100 389 dc01.contoso.com."],
    [],
    ["dc01.contoso.com. 3600 A 198.51.100.10"],
  ],
  ["contoso.com", "A", "NOERROR", "qr aa rd", ["contoso.com. 3600 A 198.51.100.10"], [], []],
  [
    "autodiscover.fabrikam.com",
    "A",
    "NOERROR",
    "qr aa rd",
    ["autodiscover.fabrikam.com. 3600 A 198.51.100.30"],
    [],
    [],
  ],
  [
    "ucupdates-r2.contoso.com",
    "A",
    "NOERROR",
    "qr aa rd",
    ["ucupdates-r2.contoso.com. 3600 A 198.51.100.20"],
    [],
    [],
  ],
  // NODATA vs NXDOMAIN, empty non-terminals, unknown types.
  ["_tcp.fabrikam.com", "SRV", "NOERROR", "qr aa rd", [], [FABRIKAM_SOA], []],
  ["_msdcs.contoso.com", "A", "NOERROR", "qr aa rd", [], [CONTOSO_SOA], []],
  ["sip.fabrikam.com", "AAAA", "NOERROR", "qr aa rd", [], [FABRIKAM_SOA], []],
  ["sip.fabrikam.com", "TYPE65", "NOERROR", "qr aa rd", [], [FABRIKAM_SOA], []],
  ["nope.fabrikam.com", "TYPE65", "NXDOMAIN", "qr aa rd", [], [FABRIKAM_SOA], []],
  ["b.c.edge.test", "A", "NOERROR", "qr aa rd", [], [EDGE_SOA], []],
  ["c.edge.test", "TXT", "NOERROR", "qr aa rd", [], [EDGE_SOA], []],
  ["x.a.b.c.edge.test", "A", "NXDOMAIN", "qr aa rd", [], [EDGE_SOA], []],
  // Apex records.
  [
    "contoso.com",
    "NS",
    "NOERROR",
    "qr aa rd",
    ["contoso.com. 3600 NS siteboot.contoso.com."],
    [],
    ["siteboot.contoso.com. 3600 A 198.51.100.2"],
  ],
  // All A records of a name.
  [
    "multi.edge.test",
    "A",
    "NOERROR",
    "qr aa rd",
    [
      "multi.edge.test. 3600 A 203.0.113.1",
      "multi.edge.test. 3600 A 203.0.113.2",
      "multi.edge.test. 3600 A 203.0.113.3",
    ],
    [],
    [],
  ],
  // CNAME chains inside the zones, to outside, dangling, looping.
  [
    "alias.edge.test",
    "A",
    "NOERROR",
    "qr aa rd",
    [
      "alias.edge.test. 60 CNAME alias2.edge.test.",
      "alias2.edge.test. 120 CNAME host.edge.test.",
      "host.edge.test. 3600 A 203.0.113.7",
    ],
    [],
    [],
  ],
  [
    "alias.edge.test",
    "AAAA",
    "NOERROR",
    "qr aa rd",
    [
      "alias.edge.test. 60 CNAME alias2.edge.test.",
      "alias2.edge.test. 120 CNAME host.edge.test.",
      "host.edge.test. 3600 AAAA 2001:db8::7",
    ],
    [],
    [],
  ],
  [
    "alias.edge.test",
    "TXT",
    "NOERROR",
    "qr aa rd",
    ["alias.edge.test. 60 CNAME alias2.edge.test.", "alias2.edge.test. 120 CNAME host.edge.test."],
    [EDGE_SOA],
    [],
  ],
  [
    "alias.edge.test",
    "CNAME",
    "NOERROR",
    "qr aa rd",
    ["alias.edge.test. 60 CNAME alias2.edge.test."],
    [],
    [],
  ],
  ["out.edge.test", "A", "NOERROR", "qr aa rd", ["out.edge.test. 3600 CNAME www.example.net."], [], []],
  [
    "dangling.edge.test",
    "A",
    "NXDOMAIN",
    "qr aa rd",
    ["dangling.edge.test. 3600 CNAME missing.edge.test."],
    [EDGE_SOA],
    [],
  ],
  [
    "loop1.edge.test",
    "A",
    "NOERROR",
    "qr aa rd",
    ["loop1.edge.test. 3600 CNAME loop2.edge.test.", "loop2.edge.test. 3600 CNAME loop1.edge.test."],
    [],
    [],
  ],
  // SRV targets' A and AAAA, once each.
  [
    "_sip._udp.edge.test",
    "SRV",
    "NOERROR",
    "qr aa rd",
    [
      "_sip._udp.edge.test. 3600 SRV 0 0 5060 host.edge.test.",
      "_sip._udp.edge.test. 3600 SRV 1 0 5060 host.edge.test.",
    ],
    [],
    ["host.edge.test. 3600 A 203.0.113.7", "host.edge.test. 3600 AAAA 2001:db8::7"],
  ],
  [
    "edge.test",
    "MX",
    "NOERROR",
    "qr aa rd",
    ["edge.test. 3600 MX 10 mail.edge.test."],
    [],
    ["mail.edge.test. 3600 A 203.0.113.25"],
  ],
  ["txt.edge.test", "TXT", "NOERROR", "qr aa rd", ['txt.edge.test. 3600 TXT "hello world" "second"'], [], []],
  // Reverse zone synthesised from the DHCP subnet.
  [
    "10.100.51.198.in-addr.arpa",
    "PTR",
    "NOERROR",
    "qr aa rd",
    [
      "10.100.51.198.in-addr.arpa. 3600 PTR contoso.com.",
      "10.100.51.198.in-addr.arpa. 3600 PTR dc01.contoso.com.",
    ],
    [],
    [],
  ],
  [
    "99.100.51.198.in-addr.arpa",
    "PTR",
    "NXDOMAIN",
    "qr aa rd",
    [],
    [
      "100.51.198.in-addr.arpa. 300 SOA siteboot.contoso.com. hostmaster.100.51.198.in-addr.arpa. SERIAL 3600 600 86400 300",
    ],
    [],
  ],
  // Outside every zone, forwarding off.
  ["example.net", "A", "REFUSED", "qr rd", [], [], []],
  ["com", "NS", "REFUSED", "qr rd", [], [], []],
];

describe("authority table", () => {
  it.each(rows)("%s %s → %s", (name, type, rcode, flags, answer, authority, additional) => {
    const r = ask(name, type);
    expect(r.id).toBe(0xbeef);
    expect(r.question).toBe(`${name}. ${type}`);
    expect({
      rcode: r.rcode,
      flags: r.flags,
      answer: r.answer,
      authority: r.authority,
      additional: r.additional,
    }).toEqual({
      rcode,
      flags,
      answer,
      authority,
      additional,
    });
    expect(r.opt).toEqual({ udpSize: 1232, version: 0, extendedRcode: 0 });
  });

  it("matches names case-insensitively and echoes the question byte for byte", () => {
    const query = encodeQuery({ name: "PoOl01.CoNtOsO.cOm", type: 1, id: 7 });
    const reply = answerQuery(engine, query, client) as Buffer;
    expect(reply.subarray(12, query.length).equals(query.subarray(12))).toBe(true);
    expect(decodeReply(reply).answer).toEqual(["PoOl01.CoNtOsO.cOm. 3600 A 198.51.100.20"]);
  });

  it("NXDOMAIN under mixed case points the SOA owner into the echoed question", () => {
    const reply = answerQuery(
      engine,
      encodeQuery({ name: "Time.Windows.Com.CONTOSO.com", type: 1 }),
      client,
    ) as Buffer;
    const d = decodeReply(reply);
    expect(d.rcode).toBe("NXDOMAIN");
    expect(d.authority[0]).toMatch(
      /^CONTOSO\.com\. 300 SOA siteboot\.contoso\.com\. hostmaster\.contoso\.com\. /,
    );
  });

  it("answers ANY with every record of the name", () => {
    const r = ask("host.edge.test", "ANY");
    expect(r.answer.sort()).toEqual([
      "host.edge.test. 3600 A 203.0.113.7",
      "host.edge.test. 3600 AAAA 2001:db8::7",
    ]);
  });

  it("refuses zone transfers and classes other than IN", () => {
    expect(ask("contoso.com", "AXFR").rcode).toBe("REFUSED");
    const chaos = answerQuery(
      engine,
      encodeQuery({ name: "version.bind", type: 16, class: 3 }),
      client,
    ) as Buffer;
    expect(decodeReply(chaos).rcode).toBe("REFUSED");
  });

  it("without EDNS sends no OPT and keeps to 512 octets", () => {
    const r = ask("multi.edge.test", "A", false);
    expect(r.opt).toBeUndefined();
    expect(r.answer).toHaveLength(3);
  });

  it("truncates over budget: TC with the question and OPT only; complete over TCP", () => {
    const small = ask("big.edge.test", "A");
    expect(small.flags).toBe("qr aa tc rd");
    expect(small.answer).toEqual([]);
    expect(small.opt?.udpSize).toBe(1232);
    const query = encodeQuery({ name: "big.edge.test", type: 1, edns: { udpSize: 4096 } });
    const tcp = decodeReply(answerQuery(engine, query, { ...client, transport: "tcp" }) as Buffer);
    expect(tcp.flags).toBe("qr aa rd");
    expect(tcp.answer).toHaveLength(100);
    // A 4096-octet client is still held to 1232 on UDP.
    const udp4096 = decodeReply(answerQuery(engine, query, client) as Buffer);
    expect(udp4096.flags).toContain("tc");
    expect(udp4096.length).toBeLessThanOrEqual(1232);
  });

  it("drops the additional section before truncating the answer (RFC 2181 §9)", () => {
    const full = ask("_many._tcp.edge.test", "SRV");
    expect(full.answer).toHaveLength(10);
    expect(full.additional).toHaveLength(30);
    expect(full.length).toBeGreaterThan(512);
    const classic = ask("_many._tcp.edge.test", "SRV", false);
    expect(classic.flags).toBe("qr aa rd");
    expect(classic.answer).toEqual(full.answer);
    expect(classic.additional).toEqual([]);
    expect(classic.length).toBeLessThanOrEqual(512);
  });

  it("keeps one answer per name and type present; every other qtype shares one NODATA answer", () => {
    const key = (name: string, qtype: number) => ({
      qtype,
      keyString: (withType = true) =>
        wireString(name) + (withType ? String.fromCharCode(qtype >> 8, qtype & 0xff) : ""),
    });
    const auth = engine.authority;
    const a = auth.answer(key("sip.fabrikam.com", 1));
    expect(a).toBeDefined();
    expect(auth.answer(key("sip.fabrikam.com", 1))).toBe(a); // kept, not rendered again
    const nodata = auth.answer(key("sip.fabrikam.com", 99));
    expect(nodata).toMatchObject({ ancount: 0, nscount: 1 });
    // Thousands of different qtypes at a name cost nothing more than the one shared answer.
    for (let t = 100; t < 5000; t++)
      if (t !== 255) expect(auth.answer(key("sip.fabrikam.com", t))).toBe(nodata); // 255 = ANY
    expect(auth.answer(key("no-such-name.fabrikam.com", 1))).toBeUndefined();
  });
});

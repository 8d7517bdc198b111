/**
 * The service on real sockets, queried by the real dig and kdig over UDP and TCP on 127.0.0.1
 * (ephemeral port), against config/site.yaml plus the edge.test zone.
 */
import dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DnsService } from "../../src/dns/dns-service.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { type DnsQueryEvent, RecordingSink, type SitebootEvent } from "../../src/observe/events.js";
import { blockFor, QueuedSender } from "../net/queued-sender.js";
import { dig, type Tool } from "./dig.js";
import { buildZone, decodeReply, edgeZone, exampleSite } from "./site-fixture.js";

let service: DnsService;
let port: number;
const events = new RecordingSink();

beforeAll(async () => {
  service = new DnsService(await exampleSite({}, [edgeZone()]), { events });
  await service.start();
  port = service.addresses().udp[0]!.port;
  expect(service.addresses().tcp[0]!.port).toBe(port);
});

afterAll(async () => {
  await service?.stop();
});

const SOA = (zone: string) =>
  `${zone}. 300 SOA siteboot.contoso.com. hostmaster.${zone}. SERIAL 3600 600 86400 300`;

/**
 * The CX700 sign-in sequence from the deployment guide, in the guide's order, against the shipped
 * example: every record comes from its `profiles: lync` line, and time.windows.com (the phone's
 * built-in time server) is this box through `ntp.isolatedLab`.
 */
const CX700: [name: string, type: string, status: string, answer: string[], additional: string[]][] = [
  ["time.windows.com", "A", "NOERROR", ["time.windows.com. 3600 A 198.51.100.2"], []],
  ["time.windows.com.contoso.com", "A", "NXDOMAIN", [], []],
  [
    "_ntp._udp.fabrikam.com",
    "SRV",
    "NOERROR",
    ["_ntp._udp.fabrikam.com. 3600 SRV 0 0 123 ntp.contoso.com."],
    ["ntp.contoso.com. 3600 A 198.51.100.2"],
  ],
  ["dc01.contoso.com", "A", "NOERROR", ["dc01.contoso.com. 3600 A 198.51.100.10"], []],
  [
    "_sipinternaltls._tcp.fabrikam.com",
    "SRV",
    "NOERROR",
    ["_sipinternaltls._tcp.fabrikam.com. 3600 SRV 0 0 5061 pool01.contoso.com."],
    ["pool01.contoso.com. 3600 A 198.51.100.20"],
  ],
  ["pool01.contoso.com", "A", "NOERROR", ["pool01.contoso.com. 3600 A 198.51.100.20"], []],
  ["_sipinternal._tcp.fabrikam.com", "SRV", "NXDOMAIN", [], []],
  ["_sipinternal._tcp.fabrikam.com.contoso.com", "SRV", "NXDOMAIN", [], []],
  [
    "_sip._tls.fabrikam.com",
    "SRV",
    "NOERROR",
    ["_sip._tls.fabrikam.com. 3600 SRV 0 0 443 sip.fabrikam.com."],
    ["sip.fabrikam.com. 3600 A 198.51.100.20"],
  ],
  ["_sip._tls.fabrikam.com.contoso.com", "SRV", "NXDOMAIN", [], []],
  ["_sip._tcp.fabrikam.com", "SRV", "NXDOMAIN", [], []],
  ["_sip._tcp.fabrikam.com.contoso.com", "SRV", "NXDOMAIN", [], []],
  ["sip.fabrikam.com", "A", "NOERROR", ["sip.fabrikam.com. 3600 A 198.51.100.20"], []],
  [
    "_ldap._tcp.dc._msdcs.contoso.com",
    "SRV",
    "NOERROR",
    ["_ldap._tcp.dc._msdcs.contoso.com. 3600 SRV 0 100 389 dc01.contoso.com."],
    ["dc01.contoso.com. 3600 A 198.51.100.10"],
  ],
  ["contoso.com", "A", "NOERROR", ["contoso.com. 3600 A 198.51.100.10"], []],
  ["autodiscover.fabrikam.com", "A", "NOERROR", ["autodiscover.fabrikam.com. 3600 A 198.51.100.30"], []],
  ["ucupdates-r2.contoso.com", "A", "NOERROR", ["ucupdates-r2.contoso.com. 3600 A 198.51.100.20"], []],
];

describe.each<[Tool, string]>([
  ["dig", "udp"],
  ["dig", "tcp"],
  ["kdig", "udp"],
  ["kdig", "tcp"],
])("CX700 sign-in sequence with %s over %s", (tool, transport) => {
  it("answers every query exactly, in order", async () => {
    // kdig sends no EDNS unless asked; dig does by default.
    const extra = [...(transport === "tcp" ? ["+tcp"] : []), ...(tool === "kdig" ? ["+edns"] : [])];
    for (const [name, type, status, answer, additional] of CX700) {
      const r = await dig(tool, port, name, type, extra);
      expect({ name, status: r.status, answer: r.answer, additional: r.additional }).toEqual({
        name,
        status,
        answer,
        additional,
      });
      if (status === "REFUSED") {
        expect(r.flags.split(" ")).not.toContain("aa");
      } else {
        expect(r.flags.split(" ")).toContain("aa");
      }
      if (status === "NXDOMAIN") {
        const zone = name.endsWith("contoso.com") ? "contoso.com" : "fabrikam.com";
        expect(r.authority).toEqual([SOA(zone)]);
      }
      expect(r.udpSize).toBe(1232);
    }
  });
});

describe("protocol points with real clients", () => {
  it("empty non-terminal is NODATA with the SOA (dig, kdig)", async () => {
    for (const tool of ["dig", "kdig"] as const) {
      const r = await dig(tool, port, "_tcp.fabrikam.com", "SRV");
      expect([r.status, r.answer, r.authority]).toEqual(["NOERROR", [], [SOA("fabrikam.com")]]);
    }
  });

  it("returns every A record and follows CNAMEs inside the zones", async () => {
    const multi = await dig("kdig", port, "multi.edge.test", "A");
    expect(multi.answer).toHaveLength(3);
    const alias = await dig("dig", port, "alias.edge.test", "A");
    expect(alias.answer).toEqual([
      "alias.edge.test. 60 CNAME alias2.edge.test.",
      "alias2.edge.test. 120 CNAME host.edge.test.",
      "host.edge.test. 3600 A 203.0.113.7",
    ]);
  });

  it("PTR for the synthesised reverse zone", async () => {
    const r = await dig("dig", port, "20.100.51.198.in-addr.arpa", "PTR");
    expect(r.answer.sort()).toEqual([
      "20.100.51.198.in-addr.arpa. 3600 PTR pool01.contoso.com.",
      "20.100.51.198.in-addr.arpa. 3600 PTR sip.fabrikam.com.",
      "20.100.51.198.in-addr.arpa. 3600 PTR ucupdates-r2.contoso.com.",
    ]);
    const x = await dig("dig", port, "-x", "198.51.100.2");
    expect(x.answer.length).toBeGreaterThan(0);
  });

  it("truncates over UDP with the OPT kept, and answers in full over TCP", async () => {
    for (const tool of ["dig", "kdig"] as const) {
      const udp = await dig(tool, port, "big.edge.test", "A", ["+ignore", "+bufsize=4096"]);
      expect(udp.flags.split(" ")).toContain("tc");
      expect(udp.udpSize).toBe(1232);
      expect(udp.answer).toEqual([]);
      const tcp = await dig(tool, port, "big.edge.test", "A", ["+tcp"]);
      expect(tcp.flags.split(" ")).not.toContain("tc");
      expect(tcp.answer).toHaveLength(100);
    }
    // dig falls back to TCP by itself on TC=1.
    expect((await dig("dig", port, "big.edge.test", "A")).answer).toHaveLength(100);
  });

  it("no OPT without EDNS; BADVERS for EDNS version 1; NOTIMP for other opcodes", async () => {
    const plain = await dig("dig", port, "sip.fabrikam.com", "A", ["+noedns"]);
    expect(plain.udpSize).toBeUndefined();
    expect(plain.answer).toHaveLength(1);
    const v1 = await dig("dig", port, "sip.fabrikam.com", "A", ["+edns=1", "+noednsneg"]);
    expect(v1.status).toBe("BADVERS");
    const kv1 = await dig("kdig", port, "sip.fabrikam.com", "A", ["+edns=1"]);
    expect(kv1.status).toBe("BADVERS");
    const status = await dig("dig", port, "sip.fabrikam.com", "A", ["+opcode=2"]);
    expect(status.status).toBe("NOTIMP");
  });

  it("keeps the question's mixed case", async () => {
    const r = await dig("dig", port, "SiP.FaBrIkAm.CoM", "A");
    expect(r.answer).toEqual(["SiP.FaBrIkAm.CoM. 3600 A 198.51.100.20"]);
  });

  it("emits one dns.query event per query", async () => {
    const before = events.events.length;
    await dig("dig", port, "nothere.contoso.com", "AAAA");
    const mine = events.events.slice(before).filter((e) => e.type === "dns.query");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      client: "127.0.0.1",
      transport: "udp",
      name: "nothere.contoso.com",
      qtype: "AAAA",
      rcode: "NXDOMAIN",
      source: "authority",
      answers: 0,
    });
  });

  it("rejects a second bind of the same address and port with a clear message", async () => {
    const site = await exampleSite();
    const clash = new DnsService(
      { ...site, listen: { ...site.listen, ports: { ...site.listen.ports, dns: port } } },
      { events },
    );
    await expect(clash.start()).rejects.toThrow(
      new RegExp(`127\\.0\\.0\\.1:${port}: the address is already in use`),
    );
    expect(clash.addresses().udp).toEqual([]);
  });

  it("reload swaps the answers atomically on the same sockets", async () => {
    const other = new DnsService(await exampleSite(), { events });
    await other.start();
    const p = other.addresses().udp[0]!.port;
    try {
      expect((await dig("dig", p, "new.edge.test", "A")).status).toBe("REFUSED");
      const zone = buildZone("edge.test", [["new", { type: "A", address: "203.0.113.77" }]]);
      await other.reload(await exampleSite({}, [zone]));
      expect(other.addresses().udp[0]!.port).toBe(p);
      expect((await dig("dig", p, "new.edge.test", "A")).answer).toEqual([
        "new.edge.test. 3600 A 203.0.113.77",
      ]);
    } finally {
      await other.stop();
    }
  });
});

describe("response-rate limiting over UDP", () => {
  it("answers the rate, slips every 2nd limited reply with TC and drops the rest; TCP is not limited", async () => {
    const rrlEvents = new RecordingSink();
    const limited = new DnsService(await exampleSite({ rateLimit: { responsesPerSecond: 10, slip: 2 } }), {
      events: rrlEvents,
      now: () => 5_000,
    });
    await limited.start();
    const p = limited.addresses().udp[0]!.port;
    const socket = dgram.createSocket("udp4");
    const replies: Buffer[] = [];
    socket.on("message", (m) => replies.push(m));
    try {
      await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
      for (let i = 0; i < 30; i++)
        socket.send(encodeQuery({ name: "sip.fabrikam.com", id: i }), p, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 300));
      const decoded = replies.map(decodeReply);
      const full = decoded.filter((d) => d.answer.length === 1);
      const slipped = decoded.filter((d) => d.flags.includes("tc"));
      expect(full).toHaveLength(10);
      expect(slipped).toHaveLength(10);
      expect(rrlEvents.events.filter((e) => e.type === "dns.rate-limited")).toHaveLength(20);
      expect((await dig("dig", p, "sip.fabrikam.com", "A", ["+tcp"])).answer).toHaveLength(1);
    } finally {
      socket.close();
      await limited.stop();
    }
  });
});

describe("UDP query events when one of a batch fails", () => {
  it("gives every other query its own event with its own latency, in that batch and the next", async () => {
    const held: DnsQueryEvent[] = [];
    const errors: SitebootEvent[] = [];
    // An event sink that fails on one query's event: the queries around it must not inherit it.
    const sink = {
      emit(event: SitebootEvent) {
        if (event.type === "service.error") errors.push(event);
        if (event.type !== "dns.query") return;
        if (event.name === "sip.fabrikam.com") throw new Error("sink refused the event");
        held.push(event);
      },
    };
    const service = new DnsService(await exampleSite(), { events: sink });
    await service.start();
    const p = service.addresses().udp[0]!.port;
    const client = new QueuedSender("127.0.0.1");
    try {
      // One batch: the first query waits 300 ms in the kernel's queue, the second's event fails.
      client.send(encodeQuery({ name: "contoso.com", id: 1 }), p);
      blockFor(300);
      client.send(encodeQuery({ name: "sip.fabrikam.com", id: 2 }), p);
      client.send(encodeQuery({ name: "dc01.contoso.com", id: 3 }), p);
      await client.until(3);
      expect(client.replies).toHaveLength(3);
      expect(held.map((e) => e.name)).toEqual(["contoso.com", "dc01.contoso.com"]);
      // Kernel receive time on the batched edge; dgram can only time from its message callback.
      if (process.env.SITEBOOT_UDP_EDGE !== "dgram") expect(held[0]!.micros).toBeGreaterThanOrEqual(300_000);
      expect(held[1]!.micros).toBeLessThan(300_000);
      // The next batch: its one query gets its own event, and nothing of the first batch comes back.
      client.send(encodeQuery({ name: "pool01.contoso.com", id: 4 }), p);
      await client.until(4);
      await new Promise((r) => setTimeout(r, 50));
      expect(held.map((e) => e.name)).toEqual(["contoso.com", "dc01.contoso.com", "pool01.contoso.com"]);
      expect(held[2]!.micros).toBeLessThan(300_000);
      expect(held.every((e) => e.client === "127.0.0.1" && e.transport === "udp")).toBe(true);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      client.close();
      await service.stop();
    }
  });
});

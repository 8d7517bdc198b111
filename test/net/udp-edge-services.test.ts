/**
 * DNS and NTP on both UDP edges (the batched native one and Node's dgram, chosen with
 * SITEBOOT_UDP_EDGE): bursts are all answered, DNS query events carry `micros`, NTP replies keep
 * receive ≤ transmit with a receive time inside the sending window, and ignored packets are events.
 */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { DnsService } from "../../src/dns/dns-service.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { StaticHostSync, unsynchronised } from "../../src/ntp/host-sync.js";
import { NtpService } from "../../src/ntp/ntp-service.js";
import { timestampToInstant } from "../../src/ntp/timestamp.js";
import { RecordingSink } from "../../src/observe/events.js";
import { exampleSite } from "../dns/site-fixture.js";
import { clientRequest, decodeReply } from "../ntp/ntp-client.js";
import { ntpTestSite } from "../ntp/site.js";

const saved = process.env.SITEBOOT_UDP_EDGE;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
  if (saved === undefined) delete process.env.SITEBOOT_UDP_EDGE;
  else process.env.SITEBOOT_UDP_EDGE = saved;
});

/** Sends every payload at once from one socket and collects replies until `expected` or 3 s. */
async function burst(port: number, payloads: Buffer[], expected: number): Promise<Buffer[]> {
  const socket = dgram.createSocket("udp4");
  const replies: Buffer[] = [];
  socket.on("message", (m) => replies.push(m));
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  for (const p of payloads) socket.send(p, port, "127.0.0.1");
  const deadline = Date.now() + 3000;
  while (replies.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await new Promise<void>((r) => socket.close(() => r()));
  return replies;
}

describe.each(["native", "dgram"])("on the %s edge", (edge) => {
  it("DNS answers a burst and reports micros per UDP answer", async () => {
    process.env.SITEBOOT_UDP_EDGE = edge;
    const events = new RecordingSink();
    const service = new DnsService(await exampleSite(), { events });
    await service.start();
    stops.push(() => service.stop());
    const port = service.addresses().udp[0]!.port;
    const queries = Array.from({ length: 150 }, (_, i) =>
      encodeQuery({ name: i % 2 ? "sip.fabrikam.com" : "nothing-here.contoso.com", id: i }),
    );
    const replies = await burst(port, queries, queries.length);
    expect(replies.length).toBe(queries.length);
    expect(new Set(replies.map((r) => r.readUInt16BE(0))).size).toBe(queries.length);
    const answered = events.events.filter((e) => e.type === "dns.query");
    expect(answered.length).toBe(queries.length);
    for (const e of answered) {
      if (e.type !== "dns.query") continue;
      expect(e.transport).toBe("udp");
      expect(e.micros).toBeGreaterThanOrEqual(0);
      expect(e.micros).toBeLessThan(2_000_000);
    }
    expect(answered.filter((e) => e.type === "dns.query" && e.rcode === "NXDOMAIN").length).toBe(75);
  });

  it("NTP answers a burst with receive ≤ transmit, inside the sending window, and records ignored packets", async () => {
    process.env.SITEBOOT_UDP_EDGE = edge;
    const events = new RecordingSink();
    const service = new NtpService(
      ntpTestSite({ rateLimit: { enabled: false, interval: 3, burst: 8, leak: 2, kod: false } }),
      { events, hostSync: new StaticHostSync(unsynchronised("static", "test")) },
    );
    await service.start();
    stops.push(() => service.stop());
    const port = service.addresses()[0]!.port;
    const before = Date.now();
    const requests = [...Array.from({ length: 100 }, () => clientRequest()), clientRequest(4, 4)];
    const replies = await burst(port, requests, 100);
    const after = Date.now();
    expect(replies.length).toBe(100);
    for (const raw of replies) {
      const reply = decodeReply(raw);
      const rx = timestampToInstant(reply.receiveTimestamp, Math.floor(before / 1000));
      const tx = timestampToInstant(reply.transmitTimestamp, Math.floor(before / 1000));
      const rxMs = rx.sec * 1000 + rx.nsec / 1e6;
      expect(rxMs).toBeGreaterThanOrEqual(before - 2);
      expect(rxMs).toBeLessThanOrEqual(after + 2);
      expect((tx.sec - rx.sec) * 1e9 + (tx.nsec - rx.nsec)).toBeGreaterThanOrEqual(0);
    }
    const requestsSeen = events.events.filter((e) => e.type === "ntp.request");
    expect(
      requestsSeen.filter((e) => e.type === "ntp.request" && e.outcome === "reply" && e.mode === 3).length,
    ).toBe(100);
    expect(
      requestsSeen
        .filter((e) => e.type === "ntp.request" && e.outcome === "ignored")
        .map((e) => "reason" in e && e.reason),
    ).toEqual(["mode"]);
  });
});

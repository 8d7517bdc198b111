import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { parseCidr } from "../../src/config/ipv4.js";
import type { Cidr } from "../../src/config/site.js";
import { StaticHostSync, unsynchronised } from "../../src/ntp/host-sync.js";
import { NtpService } from "../../src/ntp/ntp-service.js";
import { NTP_UNIX_OFFSET, timestampToInstant } from "../../src/ntp/timestamp.js";
import { RecordingSink, type SitebootEvent } from "../../src/observe/events.js";
import { QueuedSender } from "../net/queued-sender.js";
import { clientRequest, decodeReply, query } from "./ntp-client.js";
import { ntpTestSite } from "./site.js";

const running: NtpService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function startService(site = ntpTestSite(), events = new RecordingSink()) {
  const service = new NtpService(site, {
    events,
    hostSync: new StaticHostSync(unsynchronised("static", "test")),
  });
  running.push(service);
  await service.start();
  const port = service.addresses()[0]!.port;
  return { service, events, port };
}

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if ("error" in c) throw new Error(c.error);
  return c;
}

describe("NtpService on loopback", () => {
  it("answers a client request with the origin echoed and timestamps close to the host clock", async () => {
    const { port, events } = await startService();
    const before = Date.now();
    const raw = await query(port, clientRequest(3));
    const after = Date.now();
    const reply = decodeReply(raw);
    expect(reply).toMatchObject({ mode: 4, version: 3, stratum: 10, leap: 0, referenceId: 0x4c4f434c });
    expect([...raw!.subarray(24, 32)]).toEqual([0xe9, 0, 0, 0, 0x0b, 0xad, 0xca, 0xfe]);
    const rx = timestampToInstant(reply.receiveTimestamp, Math.floor(before / 1000));
    const tx = timestampToInstant(reply.transmitTimestamp, Math.floor(before / 1000));
    const rxMs = rx.sec * 1000 + rx.nsec / 1e6;
    expect(rxMs).toBeGreaterThanOrEqual(before - 1);
    expect(rxMs).toBeLessThanOrEqual(after + 1);
    expect((tx.sec - rx.sec) * 1e9 + (tx.nsec - rx.nsec)).toBeGreaterThanOrEqual(0);
    expect(reply.receiveTimestamp.seconds).toBeGreaterThan(NTP_UNIX_OFFSET);
    const ntpEvents = events.events.filter((e) => e.type === "ntp.request");
    expect(ntpEvents).toEqual([
      expect.objectContaining({
        type: "ntp.request",
        client: "127.0.0.1",
        version: 3,
        outcome: "reply",
        stratum: 10,
        leap: 0,
      }),
    ]);
    expect(events.events.some((e) => e.type === "service.state" && e.state === "listening")).toBe(true);
  });

  it("never answers server, peer, broadcast or control packets, nor malformed ones", async () => {
    const { port, events } = await startService();
    for (const mode of [0, 1, 2, 4, 5, 6, 7]) {
      expect(await query(port, clientRequest(4, mode), 100)).toBeUndefined();
    }
    expect(await query(port, clientRequest(4, 3).subarray(0, 47), 100)).toBeUndefined();
    expect(await query(port, Buffer.alloc(0), 100)).toBeUndefined();
    expect(await query(port, clientRequest(0, 3), 100)).toBeUndefined();
    // Each is recorded as ignored, with the reason and the mode it carried.
    expect(
      events.events
        .filter((e) => e.type === "ntp.request")
        .map((e) => (e.type === "ntp.request" ? [e.outcome, e.reason, e.mode] : [])),
    ).toEqual([
      ...[0, 1, 2, 4, 5, 6, 7].map((mode) => ["ignored", "mode", mode]),
      ["ignored", "length", 3],
      ["ignored", "length", 0],
      ["ignored", "version", 3],
    ]);
    // Still serving afterwards.
    expect(decodeReply(await query(port, clientRequest())).mode).toBe(4);
  });

  it("says unsynchronised in auto mode when the host clock's state is unknown", async () => {
    const { port } = await startService(ntpTestSite({ stratum: { mode: "auto" } }));
    expect(decodeReply(await query(port, clientRequest()))).toMatchObject({
      leap: 3,
      stratum: 0,
      referenceId: 0,
    });
  });

  it("records denied clients and rate-limited ones as events", async () => {
    const denied = await startService(ntpTestSite({ allow: [cidr("198.51.100.0/24")] }));
    expect(await query(denied.port, clientRequest(), 150)).toBeUndefined();
    expect(denied.events.events.filter((e) => e.type === "ntp.request")).toEqual([
      expect.objectContaining({ outcome: "denied", client: "127.0.0.1" }),
    ]);

    const limited = await startService(
      ntpTestSite({ rateLimit: { enabled: true, interval: 6, burst: 2, leak: 0, kod: true } }),
    );
    const replies: (Buffer | undefined)[] = [];
    for (let i = 0; i < 4; i++) replies.push(await query(limited.port, clientRequest(), 150));
    expect(replies.slice(0, 2).map((r) => decodeReply(r).stratum)).toEqual([10, 10]);
    // The third gets a KoD RATE (stratum 0), the fourth silence (one KoD per interval).
    expect(decodeReply(replies[2])).toMatchObject({ stratum: 0, referenceId: 0x52415445 });
    expect(replies[3]).toBeUndefined();
    expect(
      limited.events.events.filter((e) => e.type === "ntp.request").map((e) => "outcome" in e && e.outcome),
    ).toEqual(["reply", "reply", "kod", "rate-limited"]);
  });

  it("still sends the replies of a batch in which one request fails, and reports the failure", async () => {
    const errors: string[] = [];
    // An event sink that fails on one client's request: the rest of the batch must still be answered.
    const sink = {
      emit(event: SitebootEvent) {
        if (event.type === "service.error") errors.push(event.message);
        if (event.type === "ntp.request" && event.client === "127.0.0.3")
          throw new Error("sink refused the event");
      },
    };
    const { port } = await startService(ntpTestSite(), sink as RecordingSink);
    const good = new QueuedSender("127.0.0.1");
    const bad = new QueuedSender("127.0.0.3");
    try {
      // Queued together, so they arrive as one batch: answered, failing, answered.
      good.send(clientRequest(4, 3, [0xe9000000, 1]), port);
      bad.send(clientRequest(4, 3, [0xe9000000, 2]), port);
      good.send(clientRequest(4, 3, [0xe9000000, 3]), port);
      await good.until(2);
      await new Promise((r) => setTimeout(r, 50));
      const origins = good.replies.map((r) => r.readUInt32BE(28)).sort();
      expect(origins).toEqual([1, 3]);
      expect(bad.replies).toEqual([]);
      expect(errors.join("\n")).toMatch(/sink refused the event/);
    } finally {
      good.close();
      bad.close();
    }
  });

  it("rejects start with a clear message when the port is taken", async () => {
    const holder = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind(0, "127.0.0.1", resolve));
    const port = holder.address().port;
    try {
      const service = new NtpService(ntpTestSite({}, { port }), {
        events: new RecordingSink(),
        hostSync: new StaticHostSync(unsynchronised("static", "test")),
      });
      await expect(service.start()).rejects.toThrow(
        `ntp: cannot listen on udp 127.0.0.1:${port}: the port is already in use (another NTP server such as chronyd, ntpd or systemd-timesyncd may hold it) (EADDRINUSE)`,
      );
      await service.stop();
    } finally {
      holder.close();
    }
  });

  it("reloads settings without rebinding, and rebinds when the port changes", async () => {
    const { service, port } = await startService();
    const socketBefore = service.addresses()[0];
    await service.reload(ntpTestSite({ stratum: { mode: "local", stratum: 7 }, refid: "GPS" }));
    expect(service.addresses()).toEqual([socketBefore]);
    expect(decodeReply(await query(port, clientRequest()))).toMatchObject({
      stratum: 7,
      referenceId: 0x47505300,
    });

    // Pick a free port, then move there.
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
    const next = probe.address().port;
    await new Promise<void>((resolve) => probe.close(resolve));
    await service.reload(ntpTestSite({}, { port: next }));
    expect(service.addresses().map((a) => a.port)).toEqual([next]);
    expect(await query(port, clientRequest(), 150)).toBeUndefined();
    expect(decodeReply(await query(next, clientRequest())).stratum).toBe(10);
  });

  it("keeps serving the old settings when a reload cannot bind", async () => {
    const { service, port, events } = await startService();
    const holder = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind(0, "127.0.0.1", resolve));
    try {
      await expect(
        service.reload(
          ntpTestSite({ stratum: { mode: "local", stratum: 3 } }, { port: holder.address().port }),
        ),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(decodeReply(await query(port, clientRequest())).stratum).toBe(10);
      expect(events.events.some((e) => e.type === "service.state" && e.state === "reload-failed")).toBe(true);
    } finally {
      holder.close();
    }
  });

  it("closes its sockets on stop and when NTP is disabled", async () => {
    const { service, port } = await startService();
    await service.reload(ntpTestSite({ enabled: false }));
    expect(service.addresses()).toEqual([]);
    expect(await query(port, clientRequest(), 150)).toBeUndefined();
    await service.stop();
    expect(service.addresses()).toEqual([]);
  });

  it("survives a flood of random datagrams", async () => {
    const { port } = await startService(
      ntpTestSite({ rateLimit: { enabled: true, interval: -4, burst: 50, leak: 2, kod: true } }),
    );
    const socket = dgram.createSocket("udp4");
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(Math.random() * 100);
      const junk = Buffer.alloc(len);
      for (let j = 0; j < len; j++) junk[j] = Math.floor(Math.random() * 256);
      socket.send(junk, port, "127.0.0.1");
    }
    await new Promise((r) => setTimeout(r, 200));
    socket.close();
    expect(decodeReply(await query(port, clientRequest())).mode).toBe(4);
  });
});

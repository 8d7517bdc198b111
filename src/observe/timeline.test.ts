import { describe, expect, it } from "vitest";
import type { DhcpMessageEvent, SitebootEvent } from "./events.js";
import { Timeline } from "./timeline.js";

const dns = (client: string, name: string, at: number): SitebootEvent => ({
  type: "dns.query",
  at,
  client,
  transport: "udp",
  name,
  qtype: "A",
  rcode: name.startsWith("nx") ? "NXDOMAIN" : "NOERROR",
  source: "authority",
  answers: name.startsWith("nx") ? 0 : 1,
  truncated: false,
});

const ack = (mac: string, address: string, at: number): SitebootEvent => ({
  type: "dhcp.message",
  at,
  mac,
  message: "REQUEST",
  reply: "ACK",
  address,
  vendorClass: "Polycom-CX700",
});

describe("Timeline", () => {
  it("files a DNS query under the MAC that was ACKed the address", () => {
    const t = new Timeline();
    t.record(ack("00:04:f2:00:00:01", "198.51.100.100", 1));
    t.record(dns("198.51.100.100", "sip.fabrikam.com", 2));
    t.record(dns("198.51.100.100", "nx.fabrikam.com", 3));
    expect(t.entries("00-04-F2-00-00-01")?.map((e) => e.summary)).toEqual([
      "REQUEST → ACK 198.51.100.100",
      "A sip.fabrikam.com → NOERROR (1)",
      "A nx.fabrikam.com → NXDOMAIN",
    ]);
    expect(t.clients()[0]).toMatchObject({ mac: "00:04:f2:00:00:01", nxdomains: 1, entries: 3 });
    expect(t.entries("198.51.100.100")).toBeUndefined();
  });

  it("files a lease's name in DNS (served, withdrawn, refused) under the phone that holds the lease", () => {
    const t = new Timeline();
    const name = (action: "add" | "remove" | "refuse", at: number, reason?: string): SitebootEvent => ({
      type: "dns.name",
      at,
      action,
      name: "desk-7.contoso.com",
      address: "198.51.100.107",
      mac: "00:04:f2:00:00:07",
      ...(reason ? { reason } : {}),
    });
    t.record(ack("00:04:f2:00:00:07", "198.51.100.107", 1));
    t.record(name("add", 2));
    t.record(name("remove", 3));
    t.record(name("refuse", 4, "held by 00:04:f2:00:00:09"));
    const entries = t.entries("00:04:f2:00:00:07");
    expect(entries?.map((e) => `${e.kind} ${e.summary}`)).toEqual([
      "dhcp REQUEST → ACK 198.51.100.107",
      "dns name desk-7.contoso.com → 198.51.100.107",
      "dns name desk-7.contoso.com withdrawn from 198.51.100.107",
      "dns name desk-7.contoso.com refused: held by 00:04:f2:00:00:09",
    ]);
    expect(entries?.[3]?.detail).toMatchObject({ action: "refuse", reason: "held by 00:04:f2:00:00:09" });
  });

  it("asks the lease store who holds an address it has not seen handed out (leases from before a restart)", () => {
    const asked: string[] = [];
    const t = new Timeline(undefined, (address) => {
      asked.push(address);
      return address === "198.51.100.7" ? "00:04:f2:00:00:07" : undefined;
    });
    t.record(dns("198.51.100.7", "sip.fabrikam.com", 1));
    t.record(dns("198.51.100.8", "sip.fabrikam.com", 2));
    expect(t.entries("00:04:f2:00:00:07")).toHaveLength(1);
    expect(t.entries("198.51.100.8")).toHaveLength(1); // nobody holds it: kept by IP
    expect(asked).toEqual(["198.51.100.7", "198.51.100.8"]);
  });

  it("keeps at most perClient entries per client and at most `clients` clients", () => {
    const t = new Timeline({ perClient: 3, clients: 2 });
    for (let i = 0; i < 10; i++) t.record(dns("203.0.113.1", `n${i}.test`, i));
    expect(t.entries("203.0.113.1")?.map((e) => e.summary)).toEqual([
      "A n7.test → NOERROR (1)",
      "A n8.test → NOERROR (1)",
      "A n9.test → NOERROR (1)",
    ]);
    t.record(dns("203.0.113.2", "a.test", 11));
    t.record(dns("203.0.113.3", "b.test", 12)); // the least recently active client goes
    expect(t.size).toBe(2);
    expect(t.entries("203.0.113.1")).toBeUndefined();
    expect(t.clients().map((c) => c.address)).toEqual(["203.0.113.3", "203.0.113.2"]);
  });

  it("keeps each entry's own time and lease end when entries share their text", () => {
    const t = new Timeline({ perClient: 4, clients: 8 });
    const commit = (at: number): SitebootEvent => ({
      type: "dhcp.lease",
      at,
      action: "commit",
      mac: "00:04:f2:00:00:09",
      address: "198.51.100.9",
      expiresAt: at + 1000,
    });
    for (let i = 1; i <= 6; i++) t.record(commit(i * 10));
    const entries = t.entries("00:04:f2:00:00:09")!;
    expect(entries.map((e) => [e.at, e.detail.expiresAt])).toEqual([
      [30, 1030],
      [40, 1040],
      [50, 1050],
      [60, 1060],
    ]);
    expect(new Set(entries.map((e) => e.summary))).toEqual(new Set(["lease commit 198.51.100.9"]));
    // Same text, different details: two entries, each with its own detail.
    t.record({
      ...(ack("00:04:f2:00:00:0a", "198.51.100.10", 70) as DhcpMessageEvent),
      requested: [1, 3, 6],
    });
    t.record({
      ...(ack("00:04:f2:00:00:0a", "198.51.100.10", 71) as DhcpMessageEvent),
      requested: [1, 3, 6, 66],
    });
    expect(t.entries("00:04:f2:00:00:0a")!.map((e) => e.detail.requested)).toEqual([
      [1, 3, 6],
      [1, 3, 6, 66],
    ]);
  });

  it("evicts by last activity, not by first sight", () => {
    const t = new Timeline({ perClient: 2, clients: 2 });
    t.record(dns("203.0.113.1", "a.test", 1));
    t.record(dns("203.0.113.2", "b.test", 2));
    t.record(dns("203.0.113.1", "c.test", 3)); // .1 is active again: .2 is now the least recent
    t.record(dns("203.0.113.3", "d.test", 4));
    expect(t.clients().map((c) => c.address)).toEqual(["203.0.113.3", "203.0.113.1"]);
    expect(t.entries("203.0.113.2")).toBeUndefined();
  });

  it("at the limit, drops the least recent sixteenth at once, by last activity", () => {
    const t = new Timeline({ perClient: 2, clients: 32 });
    for (let i = 1; i <= 32; i++) t.record(dns(`203.0.113.${i}`, "a.test", i));
    t.record(dns("203.0.113.1", "b.test", 40)); // .1 is active again: .2 and .3 are the least recent
    t.record(dns("203.0.113.100", "c.test", 41));
    const kept = t.clients().map((c) => c.address);
    expect(kept).toHaveLength(31);
    expect(kept).not.toContain("203.0.113.2");
    expect(kept).not.toContain("203.0.113.3");
    expect(kept.slice(0, 2)).toEqual(["203.0.113.100", "203.0.113.1"]);
    // Room for two more before the next eviction.
    t.record(dns("203.0.113.101", "d.test", 42));
    expect(t.size).toBe(32);
    expect(t.entries("203.0.113.4")).toBeDefined();
  });

  it("shows a query's answer when the event carries it, and its count when not", () => {
    const t = new Timeline();
    const srv = (answer?: string): SitebootEvent => ({
      type: "dns.query",
      at: 1,
      client: "198.51.100.7",
      transport: "udp",
      name: "_sipinternaltls._tcp.fabrikam.com",
      qtype: "SRV",
      rcode: "NOERROR",
      source: "authority",
      answers: 1,
      truncated: false,
      ...(answer === undefined ? {} : { answer }),
    });
    t.record(srv("0 0 5061 pool01.contoso.com."));
    t.record(srv());
    t.record(srv("0 0 5061 pool02.contoso.com."));
    const entries = t.entries("198.51.100.7")!;
    expect(entries.map((e) => e.summary)).toEqual([
      "SRV _sipinternaltls._tcp.fabrikam.com → NOERROR 0 0 5061 pool01.contoso.com.",
      "SRV _sipinternaltls._tcp.fabrikam.com → NOERROR (1)",
      "SRV _sipinternaltls._tcp.fabrikam.com → NOERROR 0 0 5061 pool02.contoso.com.",
    ]);
    expect(entries[0]?.detail).toMatchObject({ answer: "0 0 5061 pool01.contoso.com.", answers: 1 });
  });
});

import { describe, expect, it } from "vitest";
import type { SitebootEvent } from "./events.js";
import { Metrics } from "./metrics.js";

const dhcp = (message: "DISCOVER" | "REQUEST", reply: "OFFER" | "ACK" | null): SitebootEvent => ({
  type: "dhcp.message",
  at: 0,
  mac: "00:04:f2:00:00:01",
  message,
  reply,
});

const dns = (rcode: string, transport: "udp" | "tcp"): SitebootEvent => ({
  type: "dns.query",
  at: 0,
  client: "198.51.100.100",
  transport,
  name: "sip.fabrikam.com",
  qtype: "A",
  rcode,
  source: "authority",
  answers: 1,
  truncated: false,
});

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("Metrics", () => {
  it("counts every combination of label values, one to three labels deep, across scrapes", async () => {
    const metrics = new Metrics(() => []);
    for (let i = 0; i < 5; i++) metrics.record(dhcp("DISCOVER", "OFFER"));
    for (let i = 0; i < 3; i++) metrics.record(dhcp("REQUEST", "ACK"));
    metrics.record(dhcp("REQUEST", null));
    for (let i = 0; i < 4; i++) metrics.record(dns("NOERROR", "udp"));
    metrics.record(dns("NXDOMAIN", "udp"));
    metrics.record(dns("NOERROR", "tcp"));
    metrics.record({ type: "ntp.request", at: 0, client: "198.51.100.100", version: 4, outcome: "reply" });
    let text = await metrics.text();
    expect(sample(text, "siteboot_dhcp_messages_total", 'type="DISCOVER",reply="OFFER"')).toBe(5);
    expect(sample(text, "siteboot_dhcp_messages_total", 'type="REQUEST",reply="ACK"')).toBe(3);
    expect(sample(text, "siteboot_dhcp_messages_total", 'type="REQUEST",reply="none"')).toBe(1);
    expect(
      sample(text, "siteboot_dns_queries_total", 'rcode="NOERROR",source="authority",transport="udp"'),
    ).toBe(4);
    expect(
      sample(text, "siteboot_dns_queries_total", 'rcode="NXDOMAIN",source="authority",transport="udp"'),
    ).toBe(1);
    expect(
      sample(text, "siteboot_dns_queries_total", 'rcode="NOERROR",source="authority",transport="tcp"'),
    ).toBe(1);
    expect(sample(text, "siteboot_ntp_requests_total", 'outcome="reply"')).toBe(1);

    // Counters keep their totals: a later scrape adds only what happened since.
    metrics.record(dhcp("REQUEST", "ACK"));
    text = await metrics.text();
    expect(sample(text, "siteboot_dhcp_messages_total", 'type="REQUEST",reply="ACK"')).toBe(4);
    expect(sample(text, "siteboot_dhcp_messages_total", 'type="DISCOVER",reply="OFFER"')).toBe(5);
  });
});

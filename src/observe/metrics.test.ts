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
  it("shows the PostgreSQL lease store's connection, reconnects and conflicts once it has reported", async () => {
    const metrics = new Metrics(() => []);
    const pg = (action: "connected" | "disconnected" | "reconnected" | "conflict"): SitebootEvent => ({
      type: "leases.pg",
      at: 0,
      action,
    });
    const value = (text: string, name: string) =>
      text
        .split("\n")
        .find((l) => l.startsWith(`${name} `))
        ?.slice(name.length + 1);
    // The file journal never reports: no PostgreSQL series at all.
    expect(await metrics.text()).not.toContain("siteboot_leases_pg_");
    metrics.record(pg("disconnected"));
    let text = await metrics.text();
    expect(value(text, "siteboot_leases_pg_connected")).toBe("0");
    expect(value(text, "siteboot_leases_pg_reconnects_total")).toBe("0");
    expect(value(text, "siteboot_leases_pg_conflicts_total")).toBe("0");
    metrics.record(pg("connected"));
    metrics.record(pg("conflict"));
    metrics.record(pg("conflict"));
    metrics.record(pg("disconnected"));
    metrics.record(pg("reconnected"));
    text = await metrics.text();
    expect(value(text, "siteboot_leases_pg_connected")).toBe("1");
    expect(value(text, "siteboot_leases_pg_reconnects_total")).toBe("1");
    expect(value(text, "siteboot_leases_pg_conflicts_total")).toBe("2");
    metrics.record(pg("conflict"));
    metrics.record(pg("disconnected"));
    text = await metrics.text();
    expect(value(text, "siteboot_leases_pg_conflicts_total")).toBe("3");
    expect(value(text, "siteboot_leases_pg_connected")).toBe("0");
  });

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

describe("Metrics from the first scrape", () => {
  it("shows errors and reloads at 0 before there is one, by every service and result", async () => {
    const metrics = new Metrics(() => []);
    let text = await metrics.text();
    for (const service of ["dhcp", "dns", "ntp", "control", "appliance"])
      expect(sample(text, "siteboot_errors_total", `service="${service}"`)).toBe(0);
    expect(sample(text, "siteboot_reloads_total", 'result="ok"')).toBe(0);
    expect(sample(text, "siteboot_reloads_total", 'result="failed"')).toBe(0);
    metrics.record({ type: "service.error", at: 0, service: "dns", message: "boom" });
    metrics.record({ type: "service.state", at: 0, service: "appliance", state: "reload-failed" });
    text = await metrics.text();
    expect(sample(text, "siteboot_errors_total", 'service="dns"')).toBe(1);
    expect(sample(text, "siteboot_errors_total", 'service="ntp"')).toBe(0);
    expect(sample(text, "siteboot_reloads_total", 'result="failed"')).toBe(1);
    expect(sample(text, "siteboot_reloads_total", 'result="ok"')).toBe(0);
  });

  it("shows measured event-loop delays, never the empty monitor's NaN or 9223372036.85 s", async () => {
    const metrics = new Metrics(() => []);
    // The first scrape starts the monitor; the second comes before its next sample.
    for (const text of [await metrics.text(), await metrics.text()]) {
      expect(text).not.toMatch(/NaN|9223372036/);
      const delay = (what: string) => {
        const line = text
          .split("\n")
          .find((l) => l.startsWith(`siteboot_nodejs_eventloop_lag_${what}_seconds `));
        return Number(line?.split(" ")[1]);
      };
      const [min, mean, max, p99] = [delay("min"), delay("mean"), delay("max"), delay("p99")];
      expect(min).toBeGreaterThan(0);
      expect(min).toBeLessThanOrEqual(mean);
      expect(mean).toBeLessThanOrEqual(max);
      expect(p99).toBeLessThanOrEqual(max * 1.01);
      expect(max).toBeLessThan(60);
    }
  });
});

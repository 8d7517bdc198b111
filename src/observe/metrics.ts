import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { SitebootEvent } from "./events.js";

/**
 * Prometheus metrics fed by the event stream. The hot path only bumps plain counters in a Map;
 * prom-client sees them when /metrics is scraped, so a DNS query costs a Map lookup, not a
 * label-set resolution.
 */
export interface PoolUsage {
  readonly subnet: string;
  readonly size: number;
  readonly active: number;
  readonly declined: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly #pending = new Map<Counter<string>, Map<string, number>>();
  readonly #dnsQueries: Counter<string>;
  readonly #dhcpMessages: Counter<string>;
  readonly #poolExhausted: Counter<string>;
  readonly #ntpRequests: Counter<string>;
  readonly #rateLimited: Counter<string>;
  readonly #errors: Counter<string>;
  readonly #reloads: Counter<string>;

  constructor(poolUsage: () => readonly PoolUsage[]) {
    const flush = (counter: Counter<string>, labelNames: readonly string[]) => () => {
      const pending = this.#pending.get(counter);
      if (!pending) return;
      for (const [key, value] of pending) {
        const values = key.split("\u0000");
        const labels = Object.fromEntries(labelNames.map((n, i) => [n, values[i] ?? ""]));
        counter.inc(labels, value);
      }
      pending.clear();
    };
    const counter = (name: string, help: string, labelNames: string[]) => {
      const c: Counter<string> = new Counter({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect: () => flush(c, labelNames)(),
      });
      this.#pending.set(c, new Map());
      return c;
    };
    this.#dnsQueries = counter(
      "siteboot_dns_queries_total",
      "DNS queries answered, by rcode, answer source and transport",
      ["rcode", "source", "transport"],
    );
    this.#dhcpMessages = counter(
      "siteboot_dhcp_messages_total",
      "DHCP messages received, by type and our reply",
      ["type", "reply"],
    );
    this.#poolExhausted = counter(
      "siteboot_dhcp_pool_exhausted_total",
      "DISCOVERs left unanswered because the pool was full",
      ["subnet"],
    );
    this.#ntpRequests = counter("siteboot_ntp_requests_total", "NTP client requests, by outcome", [
      "outcome",
    ]);
    this.#rateLimited = counter(
      "siteboot_dns_rate_limited_total",
      "DNS responses limited per client, by action",
      ["action"],
    );
    this.#errors = counter("siteboot_errors_total", "Errors inside a service", ["service"]);
    this.#reloads = counter("siteboot_reloads_total", "Configuration reloads, by result", ["result"]);
    new Gauge({
      name: "siteboot_dhcp_pool_addresses",
      help: "Addresses in each subnet's pools, by state",
      labelNames: ["subnet", "state"],
      registers: [this.registry],
      collect() {
        for (const pool of poolUsage()) {
          this.set({ subnet: pool.subnet, state: "active" }, pool.active);
          this.set({ subnet: pool.subnet, state: "declined" }, pool.declined);
          this.set(
            { subnet: pool.subnet, state: "free" },
            Math.max(0, pool.size - pool.active - pool.declined),
          );
        }
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: "siteboot_" });
  }

  record(event: SitebootEvent): void {
    switch (event.type) {
      case "dns.query":
        this.#bump(this.#dnsQueries, event.rcode, event.source, event.transport);
        return;
      case "dhcp.message":
        this.#bump(this.#dhcpMessages, event.message, event.reply ?? "none");
        return;
      case "dhcp.pool-exhausted":
        this.#bump(this.#poolExhausted, event.subnet);
        return;
      case "ntp.request":
        this.#bump(this.#ntpRequests, event.outcome);
        return;
      case "dns.rate-limited":
        this.#bump(this.#rateLimited, event.action);
        return;
      case "service.error":
        this.#bump(this.#errors, event.service);
        return;
      case "service.state":
        if (event.service !== "appliance") return;
        if (event.state === "reloaded") this.#bump(this.#reloads, "ok");
        else if (event.state === "reload-failed") this.#bump(this.#reloads, "failed");
        return;
      default:
        return;
    }
  }

  #bump(counter: Counter<string>, ...labels: string[]): void {
    const pending = this.#pending.get(counter);
    if (!pending) return;
    const key = labels.join("\u0000");
    pending.set(key, (pending.get(key) ?? 0) + 1);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

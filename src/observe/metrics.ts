import { createRequire } from "node:module";
import type { Counter, Registry } from "prom-client";
import { EventLoopDelay } from "./event-loop-delay.js";
import type { LeasesPgEvent, ServiceErrorEvent, SitebootEvent } from "./events.js";

/**
 * Prometheus metrics fed by the event stream. The hot path only bumps plain counters in a Map;
 * prom-client is loaded and sees them when /metrics is first scraped, so neither a DNS query nor
 * start-up pays for it.
 */
export interface PoolUsage {
  readonly subnet: string;
  readonly size: number;
  readonly active: number;
  readonly declined: number;
}

interface CounterSpec {
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  /** Label values shown at 0 from the start, so a rate or an alert on them has a series before the first one. */
  readonly zero?: readonly (readonly string[])[];
}

/** Every service that reports errors (a Record, so a new one cannot be left out). */
const SERVICES = Object.keys({
  dhcp: true,
  dns: true,
  ntp: true,
  provisioning: true,
  control: true,
  appliance: true,
} satisfies Record<ServiceErrorEvent["service"], true>);

const COUNTERS = {
  dnsQueries: {
    name: "siteboot_dns_queries_total",
    help: "DNS queries answered, by rcode, answer source and transport",
    labels: ["rcode", "source", "transport"],
  },
  dhcpMessages: {
    name: "siteboot_dhcp_messages_total",
    help: "DHCP messages received, by type and our reply",
    labels: ["type", "reply"],
  },
  poolExhausted: {
    name: "siteboot_dhcp_pool_exhausted_total",
    help: "DISCOVERs left unanswered because the pool was full",
    labels: ["subnet"],
  },
  ntpRequests: { name: "siteboot_ntp_requests_total", help: "NTP requests, by outcome", labels: ["outcome"] },
  rateLimited: {
    name: "siteboot_dns_rate_limited_total",
    help: "DNS responses limited per client, by action",
    labels: ["action"],
  },
  provisioningFetches: {
    name: "siteboot_provisioning_fetches_total",
    help: "Files fetched from the provisioning server, by protocol and result",
    labels: ["protocol", "result"],
  },
  provisioningBytes: {
    name: "siteboot_provisioning_bytes_total",
    help: "Bytes delivered by the provisioning server (TFTP: acknowledged), by protocol",
    labels: ["protocol"],
  },
  errors: {
    name: "siteboot_errors_total",
    help: "Errors inside a service",
    labels: ["service"],
    zero: SERVICES.map((service) => [service]),
  },
  reloads: {
    name: "siteboot_reloads_total",
    help: "Configuration reloads, by result",
    labels: ["result"],
    zero: [["ok"], ["failed"]],
  },
} as const satisfies Record<string, CounterSpec>;

type CounterName = keyof typeof COUNTERS;

const PREFIX = "siteboot_";

/** The PostgreSQL lease store's state, shown once it has reported (never with the file journal). */
interface PgLeases {
  connected: boolean;
  reconnects: number;
  conflicts: number;
}

/**
 * Counts per combination of label values, as a tree of Maps keyed by each value in turn. The
 * values are the events' own strings (mostly constants), so a bump hashes nothing new and builds
 * no joined key.
 */
class LabelCounts {
  #root = new Map<string, unknown>();

  bump(a: string, b?: string, c?: string): void {
    let node = this.#root;
    let leaf = a;
    if (b !== undefined) {
      node = this.#child(node, a);
      leaf = b;
      if (c !== undefined) {
        node = this.#child(node, b);
        leaf = c;
      }
    }
    node.set(leaf, ((node.get(leaf) as number | undefined) ?? 0) + 1);
  }

  /** Adds `amount` under one label value. */
  add(amount: number, a: string): void {
    this.#root.set(a, ((this.#root.get(a) as number | undefined) ?? 0) + amount);
  }

  #child(node: Map<string, unknown>, key: string): Map<string, unknown> {
    let child = node.get(key) as Map<string, unknown> | undefined;
    if (child === undefined) {
      child = new Map();
      node.set(key, child);
    }
    return child;
  }

  /** Every combination with its count since the last take, then starts from zero. */
  take(): [string[], number][] {
    const out: [string[], number][] = [];
    const walk = (node: Map<string, unknown>, path: string[]) => {
      for (const [key, value] of node) {
        if (value instanceof Map) walk(value as Map<string, unknown>, [...path, key]);
        else out.push([[...path, key], value as number]);
      }
    };
    walk(this.#root, []);
    this.#root = new Map();
    return out;
  }
}

export class Metrics {
  readonly #pending = new Map<CounterName, LabelCounts>();
  readonly #poolUsage: () => readonly PoolUsage[];
  #registry: Registry | undefined;
  #prom: typeof import("prom-client") | undefined;
  #pgLeases: PgLeases | undefined;
  #pgLeasesShown = false;
  #eventLoopDelay: EventLoopDelay | undefined;
  #contentType = "text/plain; version=0.0.4; charset=utf-8";

  constructor(poolUsage: () => readonly PoolUsage[]) {
    this.#poolUsage = poolUsage;
    for (const name of Object.keys(COUNTERS) as CounterName[]) this.#pending.set(name, new LabelCounts());
  }

  record(event: SitebootEvent): void {
    switch (event.type) {
      case "dns.query":
        this.#bump("dnsQueries", event.rcode, event.source, event.transport);
        return;
      case "dhcp.message":
        this.#bump("dhcpMessages", event.message, event.reply ?? "none");
        return;
      case "dhcp.pool-exhausted":
        this.#bump("poolExhausted", event.subnet);
        return;
      case "ntp.request":
        this.#bump("ntpRequests", event.outcome);
        return;
      case "dns.rate-limited":
        this.#bump("rateLimited", event.action);
        return;
      case "provisioning.fetch":
        this.#bump("provisioningFetches", event.protocol, event.result);
        if (event.bytes > 0) this.#pending.get("provisioningBytes")?.add(event.bytes, event.protocol);
        return;
      case "leases.pg":
        this.#recordPgLeases(event);
        return;
      case "service.error":
        this.#bump("errors", event.service);
        return;
      case "service.state":
        if (event.service !== "appliance") return;
        if (event.state === "reloaded") this.#bump("reloads", "ok");
        else if (event.state === "reload-failed") this.#bump("reloads", "failed");
        return;
      default:
        return;
    }
  }

  #recordPgLeases(event: LeasesPgEvent): void {
    this.#pgLeases ??= { connected: false, reconnects: 0, conflicts: 0 };
    const pg = this.#pgLeases;
    switch (event.action) {
      case "conflict":
        pg.conflicts++;
        return;
      case "reconnected":
        pg.reconnects++;
        pg.connected = true;
        return;
      default:
        pg.connected = event.action === "connected";
    }
  }

  #bump(counter: CounterName, a: string, b?: string, c?: string): void {
    this.#pending.get(counter)?.bump(a, b, c);
  }

  async text(): Promise<string> {
    this.#registry ??= this.#createRegistry();
    const registry = this.#registry;
    if (this.#pgLeases !== undefined && !this.#pgLeasesShown) this.#showPgLeases(registry);
    await this.#eventLoopDelay?.sampled();
    this.#contentType = registry.contentType;
    return registry.metrics();
  }

  get contentType(): string {
    return this.#contentType;
  }

  #createRegistry(): Registry {
    // prom-client is CommonJS and stays outside the bundle (scripts/build.ts).
    const prom = createRequire(import.meta.url)("prom-client") as typeof import("prom-client");
    this.#prom = prom;
    const registry = new prom.Registry();
    for (const [key, spec] of Object.entries(COUNTERS) as [CounterName, CounterSpec][]) {
      const pending = this.#pending.get(key) as LabelCounts;
      const labelsOf = (values: readonly string[]) =>
        Object.fromEntries(spec.labels.map((n, i) => [n, values[i] ?? ""]));
      const counter: Counter<string> = new prom.Counter({
        name: spec.name,
        help: spec.help,
        labelNames: [...spec.labels],
        registers: [registry],
        collect: () => {
          for (const [values, count] of pending.take()) counter.inc(labelsOf(values), count);
        },
      });
      for (const values of spec.zero ?? []) counter.inc(labelsOf(values), 0);
    }
    const poolUsage = this.#poolUsage;
    new prom.Gauge({
      name: "siteboot_dhcp_pool_addresses",
      help: "Addresses in each subnet's pools, by state",
      labelNames: ["subnet", "state"],
      registers: [registry],
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
    prom.collectDefaultMetrics({ register: registry, prefix: PREFIX });
    this.#eventLoopDelay = new EventLoopDelay(registry, PREFIX, prom);
    return registry;
  }

  /** The PostgreSQL lease store's metrics, registered at the first scrape after it reported. */
  #showPgLeases(registry: Registry): void {
    const prom = this.#prom as typeof import("prom-client");
    const pg = this.#pgLeases as PgLeases;
    this.#pgLeasesShown = true;
    new prom.Gauge({
      name: "siteboot_leases_pg_connected",
      help: "1 while the PostgreSQL lease database is connected and the cache loaded, else 0",
      registers: [registry],
      collect() {
        this.set(pg.connected ? 1 : 0);
      },
    });
    const total = (name: string, help: string, value: () => number) =>
      new prom.Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    total(
      "siteboot_leases_pg_conflicts_total",
      "Lease writes the PostgreSQL database refused because another server held the address",
      () => pg.conflicts,
    );
    total(
      "siteboot_leases_pg_reconnects_total",
      "Connections to the PostgreSQL lease database restored after a loss",
      () => pg.reconnects,
    );
  }
}

import type { SitebootEvent } from "./events.js";

/**
 * The per-phone timeline: for every client (by MAC, linked to its IP through the leases) a bounded
 * ring of what it did, in order — DHCP messages with vendor class, requested and received options;
 * every DNS query with its rcode; NTP requests. The view an engineer otherwise builds by hand from
 * a packet trace when a phone will not sign in.
 */
export interface TimelineEntry {
  readonly at: number;
  readonly kind: "dhcp" | "dns" | "ntp" | "lease";
  /** One line a person reads, e.g. `DISCOVER → OFFER 198.51.100.100` or `SRV _ntp._udp.fabrikam.com → NOERROR (1)`. */
  readonly summary: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface ClientSummary {
  readonly id: string;
  readonly mac?: string;
  readonly address?: string;
  readonly vendorClass?: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly entries: number;
  readonly nxdomains: number;
}

interface ClientRecord {
  id: string;
  mac?: string;
  address?: string;
  vendorClass?: string;
  firstSeen: number;
  lastSeen: number;
  nxdomains: number;
  ring: TimelineEntry[];
  next: number;
  count: number;
}

export interface TimelineLimits {
  /** Entries kept per client (oldest dropped first). */
  readonly perClient: number;
  /** Clients kept (least recently active dropped first). */
  readonly clients: number;
}

export const DEFAULT_TIMELINE_LIMITS: TimelineLimits = { perClient: 256, clients: 2048 };

export class Timeline {
  readonly #limits: TimelineLimits;
  /** Insertion order doubles as recency: a client is moved to the end on every event. */
  readonly #clients = new Map<string, ClientRecord>();
  readonly #macByAddress = new Map<string, string>();
  readonly #macOfAddress: (address: string) => string | undefined;

  /**
   * @param macOfAddress who holds an address according to the lease store, asked when the timeline
   *   has not itself seen that address handed out (leases from before a restart)
   */
  constructor(
    limits: TimelineLimits = DEFAULT_TIMELINE_LIMITS,
    macOfAddress: (address: string) => string | undefined = () => undefined,
  ) {
    this.#limits = limits;
    this.#macOfAddress = macOfAddress;
  }

  /** Teaches the timeline which MAC holds which address (DHCP ACKs and lease events). */
  linkAddress(address: string, mac: string): void {
    this.#macByAddress.set(address, mac);
    if (this.#macByAddress.size > this.#limits.clients * 4) {
      const oldest = this.#macByAddress.keys().next().value;
      if (oldest !== undefined) this.#macByAddress.delete(oldest);
    }
  }

  record(event: SitebootEvent): void {
    switch (event.type) {
      case "dhcp.message": {
        const client = this.#client(macKey(event.mac), event.at);
        client.mac = event.mac;
        if (event.vendorClass !== undefined) client.vendorClass = event.vendorClass;
        if (event.address !== undefined && (event.reply === "ACK" || event.reply === "OFFER")) {
          if (event.reply === "ACK") {
            client.address = event.address;
            this.linkAddress(event.address, event.mac);
          }
        }
        const reply =
          event.reply === null
            ? `no reply${event.replyReason ? ` (${event.replyReason})` : ""}`
            : event.reply;
        const address = event.address ? ` ${event.address}` : "";
        this.#push(client, {
          at: event.at,
          kind: "dhcp",
          summary: `${event.message} → ${reply}${address}`,
          detail: {
            vendorClass: event.vendorClass,
            requested: event.requested,
            replyOptions: event.replyOptions,
            interface: event.interface,
            relay: event.relay,
            subnet: event.subnet,
          },
        });
        return;
      }
      case "dhcp.lease": {
        this.linkAddress(event.address, event.mac);
        const client = this.#client(macKey(event.mac), event.at);
        client.mac = event.mac;
        if (event.action === "commit") client.address = event.address;
        this.#push(client, {
          at: event.at,
          kind: "lease",
          summary: `lease ${event.action} ${event.address}`,
          detail: { expiresAt: event.expiresAt },
        });
        return;
      }
      case "dns.query": {
        const client = this.#clientForAddress(event.client, event.at);
        if (event.rcode === "NXDOMAIN") client.nxdomains++;
        this.#push(client, {
          at: event.at,
          kind: "dns",
          summary: `${event.qtype} ${event.name} → ${event.rcode}${event.answers ? ` (${event.answers})` : ""}`,
          detail: { source: event.source, transport: event.transport, truncated: event.truncated },
        });
        return;
      }
      case "ntp.request": {
        const client = this.#clientForAddress(event.client, event.at);
        this.#push(client, {
          at: event.at,
          kind: "ntp",
          summary: `NTP v${event.version} → ${event.outcome}${event.stratum === undefined ? "" : ` stratum ${event.stratum}`}`,
          detail: { leap: event.leap },
        });
        return;
      }
      default:
        return;
    }
  }

  clients(): ClientSummary[] {
    return [...this.#clients.values()].reverse().map((c) => ({
      id: c.id,
      ...(c.mac === undefined ? {} : { mac: c.mac }),
      ...(c.address === undefined ? {} : { address: c.address }),
      ...(c.vendorClass === undefined ? {} : { vendorClass: c.vendorClass }),
      firstSeen: c.firstSeen,
      lastSeen: c.lastSeen,
      entries: Math.min(c.count, this.#limits.perClient),
      nxdomains: c.nxdomains,
    }));
  }

  /** Oldest first; undefined when the client is unknown. Accepts a MAC (any case, : or -) or an IP. */
  entries(client: string): TimelineEntry[] | undefined {
    const mac = normalizeMac(client);
    const record = this.#clients.get(mac ? macKey(mac) : `ip:${client}`);
    if (!record) return undefined;
    const size = Math.min(record.count, this.#limits.perClient);
    const out: TimelineEntry[] = [];
    const start = record.count > this.#limits.perClient ? record.next : 0;
    for (let i = 0; i < size; i++)
      out.push(record.ring[(start + i) % this.#limits.perClient] as TimelineEntry);
    return out;
  }

  get size(): number {
    return this.#clients.size;
  }

  #clientForAddress(address: string, at: number): ClientRecord {
    const mac = this.#macByAddress.get(address) ?? this.#macOfAddress(address);
    const client = this.#client(mac ? macKey(mac) : `ip:${address}`, at);
    if (mac) client.mac = mac;
    client.address = address;
    return client;
  }

  #client(id: string, at: number): ClientRecord {
    let client = this.#clients.get(id);
    if (client) {
      this.#clients.delete(id);
    } else {
      client = { id, firstSeen: at, lastSeen: at, nxdomains: 0, ring: [], next: 0, count: 0 };
      if (this.#clients.size >= this.#limits.clients) {
        const oldest = this.#clients.keys().next().value;
        if (oldest !== undefined) this.#clients.delete(oldest);
      }
    }
    client.lastSeen = at;
    this.#clients.set(id, client);
    return client;
  }

  #push(client: ClientRecord, entry: TimelineEntry): void {
    client.ring[client.next] = entry;
    client.next = (client.next + 1) % this.#limits.perClient;
    client.count++;
  }
}

function macKey(mac: string): string {
  return `mac:${mac}`;
}

export function normalizeMac(text: string): string | undefined {
  const compact = text.toLowerCase().replace(/[:.-]/g, "");
  if (!/^[0-9a-f]{12}$/.test(compact)) return undefined;
  return compact.match(/../g)?.join(":");
}

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

/**
 * What an entry says, apart from when: entries that say the same thing share one object (a phone
 * repeats the same few exchanges and queries), so a ring slot costs a time and a reference.
 */
interface EntryShape {
  readonly kind: TimelineEntry["kind"];
  readonly summary: string;
  readonly detail: Readonly<Record<string, unknown>>;
  /** A detail field that differs from entry to entry (a lease's end): kept in the ring, not here. */
  readonly valueField?: string;
}

interface ClientRecord {
  readonly id: string;
  mac?: string;
  address?: string;
  vendorClass?: string;
  readonly firstSeen: number;
  lastSeen: number;
  /** Order of first sight, to keep the order of clients seen at the same instant. */
  readonly seq: number;
  nxdomains: number;
  /** The ring, as columns filled in place: no allocation per entry once a ring is full. */
  readonly times: number[];
  readonly shapes: EntryShape[];
  /** The shape's valueField per entry (NaN when absent). */
  readonly values: number[];
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

/** Distinct entry shapes remembered for sharing; past that the memo starts over. */
const SHAPE_MEMO_LIMIT = 8192;
const ABSENT = "\u0001";

export class Timeline {
  readonly #limits: TimelineLimits;
  /**
   * Clients by id. Recency is each record's lastSeen, not the map's order: moving a record to the
   * end on every event would churn the map under load. Eviction looks for the oldest only when a
   * new client arrives at the limit.
   */
  readonly #clients = new Map<string, ClientRecord>();
  readonly #macByAddress = new Map<string, string>();
  readonly #macOfAddress: (address: string) => string | undefined;
  readonly #shapes = new Map<string, EntryShape>();
  #seq = 0;

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
    if (this.#macByAddress.get(address) === mac) return;
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
        if (client.mac !== event.mac) client.mac = event.mac;
        if (event.vendorClass !== undefined && client.vendorClass !== event.vendorClass)
          client.vendorClass = event.vendorClass;
        if (event.address !== undefined && event.reply === "ACK") {
          if (client.address !== event.address) client.address = event.address;
          this.linkAddress(event.address, event.mac);
        }
        const reply =
          event.reply === null
            ? `no reply${event.replyReason ? ` (${event.replyReason})` : ""}`
            : event.reply;
        const address = event.address ? ` ${event.address}` : "";
        const summary = `${event.message} → ${reply}${address}`;
        const key = `d${summary}\u0000${event.vendorClass ?? ABSENT}\u0000${event.requested?.join(",") ?? ABSENT}\u0000${event.replyOptions?.join(",") ?? ABSENT}\u0000${event.interface ?? ABSENT}\u0000${event.relay ?? ABSENT}\u0000${event.subnet ?? ABSENT}`;
        this.#push(client, event.at, key, () => ({
          kind: "dhcp",
          summary,
          detail: {
            vendorClass: event.vendorClass,
            requested: event.requested,
            replyOptions: event.replyOptions,
            interface: event.interface,
            relay: event.relay,
            subnet: event.subnet,
          },
        }));
        return;
      }
      case "dhcp.lease": {
        this.linkAddress(event.address, event.mac);
        const client = this.#client(macKey(event.mac), event.at);
        if (client.mac !== event.mac) client.mac = event.mac;
        if (event.action === "commit" && client.address !== event.address) client.address = event.address;
        const summary = `lease ${event.action} ${event.address}`;
        this.#push(
          client,
          event.at,
          `l${summary}`,
          () => ({ kind: "lease", summary, detail: {}, valueField: "expiresAt" }),
          event.expiresAt,
        );
        return;
      }
      case "dns.query": {
        const client = this.#clientForAddress(event.client, event.at);
        if (event.rcode === "NXDOMAIN") client.nxdomains++;
        const summary = `${event.qtype} ${event.name} → ${event.rcode}${event.answers ? ` (${event.answers})` : ""}`;
        this.#push(
          client,
          event.at,
          `q${summary}\u0000${event.source}\u0000${event.transport}\u0000${event.truncated}`,
          () => ({
            kind: "dns",
            summary,
            detail: { source: event.source, transport: event.transport, truncated: event.truncated },
          }),
        );
        return;
      }
      case "ntp.request": {
        const client = this.#clientForAddress(event.client, event.at);
        const summary = `NTP v${event.version} → ${event.outcome}${event.stratum === undefined ? "" : ` stratum ${event.stratum}`}`;
        this.#push(client, event.at, `n${summary}\u0000${event.leap ?? ABSENT}`, () => ({
          kind: "ntp",
          summary,
          detail: { leap: event.leap },
        }));
        return;
      }
      default:
        return;
    }
  }

  /** Most recently active first. */
  clients(): ClientSummary[] {
    return [...this.#clients.values()]
      .sort((a, b) => b.lastSeen - a.lastSeen || b.seq - a.seq)
      .map((c) => ({
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
    const perClient = this.#limits.perClient;
    const size = Math.min(record.count, perClient);
    const out: TimelineEntry[] = [];
    const start = record.count > perClient ? record.next : 0;
    for (let i = 0; i < size; i++) {
      const slot = (start + i) % perClient;
      const shape = record.shapes[slot]!;
      const value = record.values[slot]!;
      const detail =
        shape.valueField === undefined
          ? shape.detail
          : { ...shape.detail, [shape.valueField]: Number.isNaN(value) ? undefined : value };
      out.push({ at: record.times[slot]!, kind: shape.kind, summary: shape.summary, detail });
    }
    return out;
  }

  get size(): number {
    return this.#clients.size;
  }

  #clientForAddress(address: string, at: number): ClientRecord {
    const mac = this.#macByAddress.get(address) ?? this.#macOfAddress(address);
    const client = this.#client(mac ? macKey(mac) : `ip:${address}`, at);
    if (mac && client.mac !== mac) client.mac = mac;
    if (client.address !== address) client.address = address;
    return client;
  }

  #client(id: string, at: number): ClientRecord {
    let client = this.#clients.get(id);
    if (!client) {
      if (this.#clients.size >= this.#limits.clients) this.#evictLeastRecent();
      client = {
        id,
        firstSeen: at,
        lastSeen: at,
        seq: this.#seq++,
        nxdomains: 0,
        times: [],
        shapes: [],
        values: [],
        next: 0,
        count: 0,
      };
      this.#clients.set(id, client);
    }
    if (at > client.lastSeen) client.lastSeen = at;
    return client;
  }

  #evictLeastRecent(): void {
    let oldest: ClientRecord | undefined;
    for (const client of this.#clients.values()) {
      if (!oldest || client.lastSeen < oldest.lastSeen) oldest = client;
    }
    if (oldest) this.#clients.delete(oldest.id);
  }

  #push(client: ClientRecord, at: number, key: string, make: () => EntryShape, value?: number): void {
    let shape = this.#shapes.get(key);
    if (!shape) {
      shape = make();
      if (this.#shapes.size >= SHAPE_MEMO_LIMIT) this.#shapes.clear();
      this.#shapes.set(key, shape);
    }
    client.times[client.next] = at;
    client.shapes[client.next] = shape;
    client.values[client.next] = value ?? Number.NaN;
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

import type { SitebootEvent } from "./events.js";
import { type EntryShape, makeShape, sameEntry } from "./timeline-shapes.js";

/**
 * The per-phone timeline: for every client (by MAC, linked to its IP through the leases) a bounded
 * ring of what it did, in order — DHCP messages with vendor class, requested and received options;
 * every DNS query with its rcode and answer; its lease's name in DNS; NTP requests; provisioning
 * fetches. The view an engineer otherwise builds by hand from
 * a packet trace when a phone will not sign in.
 */
export interface TimelineEntry {
  readonly at: number;
  readonly kind: "dhcp" | "dns" | "ntp" | "lease" | "provisioning";
  /**
   * One line a person reads, e.g. `DISCOVER → OFFER 198.51.100.100`, `A sip.fabrikam.com → NOERROR
   * 198.51.100.20` or, when the answer's data was not recorded, `… → NOERROR (1)` (its count).
   */
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
  /** "mac:<mac>" or "ip:<address>". */
  readonly id: string;
  /** Its key in the map that holds it (the MAC or the address). */
  readonly key: string;
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
  /** This client's recent distinct shapes, searched before a new one is made. */
  readonly recentShapes: EntryShape[];
  recentNext: number;
}

export interface TimelineLimits {
  /** Entries kept per client (oldest dropped first). */
  readonly perClient: number;
  /** Clients kept (least recently active dropped first). */
  readonly clients: number;
}

export const DEFAULT_TIMELINE_LIMITS: TimelineLimits = { perClient: 256, clients: 2048 };

/** At the client limit, the least recently seen 1/16 of the clients make room at once. */
const EVICTED_SHARE = 16;

/** Distinct shapes remembered per client for sharing. */
const RECENT_SHAPES = 8;

export class Timeline {
  readonly #limits: TimelineLimits;
  /**
   * Clients by MAC and, for those the timeline cannot tie to a MAC, by IP. The keys are the
   * event's own strings (shared by the DHCP core and the DNS edge), so lookups hash nothing new.
   * Recency is each record's lastSeen, not the maps' order: moving a record on every event would
   * churn the maps under load. Eviction looks for the oldest only when a new client arrives at
   * the limit, and then drops the oldest 1/EVICTED_SHARE of them.
   */
  readonly #byMac = new Map<string, ClientRecord>();
  readonly #byIp = new Map<string, ClientRecord>();
  readonly #macByAddress = new Map<string, string>();
  readonly #macOfAddress: (address: string) => string | undefined;
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
        const client = this.#clientByMac(event.mac, event.at);
        if (event.vendorClass !== undefined && client.vendorClass !== event.vendorClass)
          client.vendorClass = event.vendorClass;
        if (event.address !== undefined && event.reply === "ACK") {
          if (client.address !== event.address) client.address = event.address;
          this.linkAddress(event.address, event.mac);
        }
        this.#push(client, event, Number.NaN);
        return;
      }
      case "dhcp.lease": {
        this.linkAddress(event.address, event.mac);
        const client = this.#clientByMac(event.mac, event.at);
        if (event.action === "commit" && client.address !== event.address) client.address = event.address;
        this.#push(client, event, event.expiresAt ?? Number.NaN);
        return;
      }
      case "dns.query": {
        const client = this.#clientForAddress(event.client, event.at);
        if (event.rcode === "NXDOMAIN") client.nxdomains++;
        this.#push(client, event, Number.NaN);
        return;
      }
      case "ntp.request": {
        this.#push(this.#clientForAddress(event.client, event.at), event, Number.NaN);
        return;
      }
      case "dns.name": {
        // A lease's name in DNS belongs to the phone that holds the lease.
        this.#push(this.#clientByMac(event.mac, event.at), event, Number.NaN);
        return;
      }
      case "provisioning.fetch": {
        const client = event.mac
          ? this.#clientByMac(event.mac, event.at)
          : this.#clientForAddress(event.client, event.at);
        this.#push(client, event, Number.NaN);
        return;
      }
      default:
        return;
    }
  }

  /** Most recently active first. */
  clients(): ClientSummary[] {
    return [...this.#byMac.values(), ...this.#byIp.values()]
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
    const record = mac ? this.#byMac.get(mac) : this.#byIp.get(client);
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
    return this.#byMac.size + this.#byIp.size;
  }

  #clientForAddress(address: string, at: number): ClientRecord {
    const mac = this.#macByAddress.get(address) ?? this.#macOfAddress(address);
    const client = mac ? this.#clientByMac(mac, at) : this.#client(this.#byIp, address, "ip:", at);
    if (client.address !== address) client.address = address;
    return client;
  }

  #clientByMac(mac: string, at: number): ClientRecord {
    const client = this.#client(this.#byMac, mac, "mac:", at);
    if (client.mac !== mac) client.mac = mac;
    return client;
  }

  /** The client under `key` in `map`, made (with the id `idPrefix` + key) when it is new. */
  #client(map: Map<string, ClientRecord>, key: string, idPrefix: string, at: number): ClientRecord {
    let client = map.get(key);
    if (!client) {
      if (this.size >= this.#limits.clients) this.#evictLeastRecent();
      client = {
        id: idPrefix + key,
        key,
        firstSeen: at,
        lastSeen: at,
        seq: this.#seq++,
        nxdomains: 0,
        times: [],
        shapes: [],
        values: [],
        next: 0,
        count: 0,
        recentShapes: [],
        recentNext: 0,
      };
      map.set(key, client);
    }
    if (at > client.lastSeen) client.lastSeen = at;
    return client;
  }

  /**
   * Makes room by dropping the least recently seen sixteenth of the clients in one pass, so that a
   * lab with more phones than the limit, each new one arriving at the limit, pays one sort per
   * many arrivals instead of a scan of every client per arrival.
   */
  #evictLeastRecent(): void {
    const all = [...this.#byMac.values(), ...this.#byIp.values()].sort(
      (a, b) => a.lastSeen - b.lastSeen || a.seq - b.seq,
    );
    const drop = Math.max(1, Math.floor(this.#limits.clients / EVICTED_SHARE));
    for (const client of all.slice(0, drop)) {
      if (this.#byMac.get(client.key) === client) this.#byMac.delete(client.key);
      else this.#byIp.delete(client.key);
    }
  }

  #push(client: ClientRecord, event: SitebootEvent, value: number): void {
    const shape = this.#shapeFor(client, event);
    client.times[client.next] = event.at;
    client.shapes[client.next] = shape;
    client.values[client.next] = value;
    client.next = (client.next + 1) % this.#limits.perClient;
    client.count++;
  }

  #shapeFor(client: ClientRecord, event: SitebootEvent): EntryShape {
    const recent = client.recentShapes;
    for (let i = 0; i < recent.length; i++) {
      if (sameEntry(recent[i]!.source, event)) return recent[i]!;
    }
    const shape = makeShape(event);
    recent[client.recentNext] = shape;
    client.recentNext = (client.recentNext + 1) % RECENT_SHAPES;
    return shape;
  }
}

export function normalizeMac(text: string): string | undefined {
  const compact = text.toLowerCase().replace(/[:.-]/g, "");
  if (!/^[0-9a-f]{12}$/.test(compact)) return undefined;
  return compact.match(/../g)?.join(":");
}

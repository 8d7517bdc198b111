/**
 * One typed stream of what the services did. Services emit; the logger, metrics and the per-client
 * timeline subscribe. Services never format log lines for these events themselves.
 */

export type DhcpMessageName =
  | "DISCOVER"
  | "OFFER"
  | "REQUEST"
  | "DECLINE"
  | "ACK"
  | "NAK"
  | "RELEASE"
  | "INFORM";

export interface DhcpMessageEvent {
  readonly type: "dhcp.message";
  readonly at: number;
  /** Client hardware address, lowercase colon form. */
  readonly mac: string;
  readonly clientId?: string;
  readonly message: DhcpMessageName;
  readonly vendorClass?: string;
  /** Option 55, in the client's order. */
  readonly requested?: readonly number[];
  /** Address asked for (option 50 or ciaddr). */
  readonly requestedAddress?: string;
  readonly interface?: string;
  readonly relay?: string;
  /** What we answered, or null for silence, with the reason. */
  readonly reply: DhcpMessageName | null;
  readonly replyReason?: string;
  readonly address?: string;
  /** Option codes in our reply, in order. */
  readonly replyOptions?: readonly number[];
  readonly subnet?: string;
}

export interface DhcpLeaseEvent {
  readonly type: "dhcp.lease";
  readonly at: number;
  readonly action: "commit" | "release" | "expire" | "decline";
  readonly mac: string;
  readonly address: string;
  readonly expiresAt?: number;
}

export interface DhcpPoolExhaustedEvent {
  readonly type: "dhcp.pool-exhausted";
  readonly at: number;
  readonly subnet: string;
  readonly mac: string;
}

/**
 * The PostgreSQL lease store: connected (the cache loaded, at start or later when the database
 * was unreachable at start), disconnected (no commit until it is back), reconnected (the cache
 * reloaded), or a put the database refused because another server holds the address.
 */
export interface LeasesPgEvent {
  readonly type: "leases.pg";
  readonly at: number;
  readonly action: "connected" | "disconnected" | "reconnected" | "conflict";
  readonly detail?: string;
}

export type DnsAnswerSource = "authority" | "cache" | "forward" | "refused" | "error";

export interface DnsQueryEvent {
  readonly type: "dns.query";
  readonly at: number;
  readonly client: string;
  readonly transport: "udp" | "tcp";
  /** Lowercase, no trailing dot. */
  readonly name: string;
  /** Type mnemonic (A, SRV, …) or TYPEnnn. */
  readonly qtype: string;
  /** RCODE mnemonic: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, FORMERR, NOTIMP, BADVERS. */
  readonly rcode: string;
  readonly source: DnsAnswerSource;
  readonly answers: number;
  /**
   * The answer records' data in zone-file form, joined by ", " (`198.51.100.20`,
   * `0 0 5061 pool01.contoso.com.`); absent when there are none or they were not recorded.
   */
  readonly answer?: string | undefined;
  readonly truncated: boolean;
  /** Time from receipt to the reply being handed to the socket, in microseconds (absent for forwarded answers still pending). */
  readonly micros?: number;
}

/** A lease's host name served in DNS, withdrawn, or refused (invalid, or another owner has it). */
export interface DnsNameEvent {
  readonly type: "dns.name";
  readonly at: number;
  readonly action: "add" | "remove" | "refuse";
  /** Lowercase, no trailing dot; for a refused invalid name, the text the client sent. */
  readonly name: string;
  readonly address: string;
  readonly mac: string;
  readonly reason?: string;
}

export interface DnsRateLimitedEvent {
  readonly type: "dns.rate-limited";
  readonly at: number;
  readonly client: string;
  readonly action: "drop" | "slip";
}

export interface NtpRequestEvent {
  readonly type: "ntp.request";
  readonly at: number;
  readonly client: string;
  readonly version: number;
  /** NTP mode of the request (3 = client). */
  readonly mode?: number;
  /** "ignored": not a client request we answer (wrong mode, version, or length); see `reason`. */
  readonly outcome: "reply" | "kod" | "rate-limited" | "denied" | "ignored";
  readonly reason?: string;
  readonly stratum?: number;
  readonly leap?: number;
}

/** A phone fetched (or failed to fetch) a file from the provisioning server. */
export interface ProvisioningFetchEvent {
  readonly type: "provisioning.fetch";
  readonly at: number;
  readonly protocol: "tftp" | "http" | "https";
  readonly client: string;
  /** The phone, when the file was rendered for it or its lease is known. */
  readonly mac?: string;
  /** The name as requested. */
  readonly file: string;
  /** Bytes delivered (TFTP: acknowledged). */
  readonly bytes: number;
  readonly result: "complete" | "not-modified" | "not-found" | "refused" | "timeout" | "aborted" | "error";
  /** The template a per-phone file was rendered from. */
  readonly template?: string;
  readonly detail?: string;
}

export interface ServiceErrorEvent {
  readonly type: "service.error";
  readonly at: number;
  readonly service: "dhcp" | "dns" | "ntp" | "provisioning" | "control" | "appliance";
  readonly message: string;
  readonly detail?: string;
}

export interface ServiceStateEvent {
  readonly type: "service.state";
  readonly at: number;
  readonly service: "dhcp" | "dns" | "ntp" | "provisioning" | "control" | "appliance";
  readonly state: "listening" | "stopped" | "reloaded" | "reload-failed";
  readonly detail?: string;
}

export type SitebootEvent =
  | DhcpMessageEvent
  | DhcpLeaseEvent
  | DhcpPoolExhaustedEvent
  | LeasesPgEvent
  | DnsQueryEvent
  | DnsNameEvent
  | DnsRateLimitedEvent
  | NtpRequestEvent
  | ProvisioningFetchEvent
  | ServiceErrorEvent
  | ServiceStateEvent;

export interface EventSink {
  emit(event: SitebootEvent): void;
}

export type EventListener = (event: SitebootEvent) => void;

/** Fan-out to subscribers. A throwing subscriber never breaks a service or the other subscribers. */
export class EventBus implements EventSink {
  readonly #listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: SitebootEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber must not take a service down; the logger subscriber reports its own failures.
      }
    }
  }
}

/** For tests and tools: keeps every event. */
export class RecordingSink implements EventSink {
  readonly events: SitebootEvent[] = [];
  emit(event: SitebootEvent): void {
    this.events.push(event);
  }
}

export const NO_EVENTS: EventSink = { emit() {} };

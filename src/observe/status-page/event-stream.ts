/**
 * Live updates for the status page (server-sent events, `GET /events`). A lab under load emits
 * thousands of events a second, and the page needs only to know what to fetch again: events are
 * gathered for a short window and sent as one `changes` message naming the kinds of change and
 * the clients (MAC or address) they concern, bounded in size. A comment line every 15 s keeps
 * proxies and the browser from closing an idle stream. Connections are bounded too.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SitebootEvent } from "../events.js";

/** Streams open at once; one more is refused with 503 (a page retries on its own). */
export const MAX_STREAMS = 32;
const WINDOW_MS = 500;
const HEARTBEAT_MS = 15_000;
/** Clients named in one message; beyond this the page refreshes whatever it shows. */
const MAX_CLIENTS_NAMED = 64;

export type ChangeKind = "leases" | "dns" | "ntp" | "dhcp" | "names" | "health" | "reload";

export interface Changes {
  readonly kinds: ChangeKind[];
  readonly clients: string[];
  /** More clients changed than are named. */
  readonly more: boolean;
}

export class EventStream {
  readonly #streams = new Set<ServerResponse>();
  #kinds = new Set<ChangeKind>();
  #clients = new Set<string>();
  #more = false;
  #flushTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  get size(): number {
    return this.#streams.size;
  }

  /** Takes one event from the bus; cheap when nobody is watching. */
  record(event: SitebootEvent): void {
    if (this.#streams.size === 0) return;
    const kind = kindOf(event);
    if (kind === undefined) return;
    this.#kinds.add(kind);
    const client = clientOf(event);
    if (client !== undefined) {
      if (this.#clients.size < MAX_CLIENTS_NAMED) this.#clients.add(client);
      else if (!this.#clients.has(client)) this.#more = true;
    }
    this.#flushTimer ??= setTimeout(() => this.#flush(), WINDOW_MS);
  }

  /** Serves one stream until the browser goes away. */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.#streams.size >= MAX_STREAMS) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "10" });
      res.end("too many open event streams\n");
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      connection: "keep-alive",
    });
    // The browser reconnects after 3 s when the stream breaks (a restart, a reload that rebinds).
    res.write("retry: 3000\n\n");
    this.#streams.add(res);
    this.#heartbeat ??= setInterval(() => this.#send(": keep-alive\n\n"), HEARTBEAT_MS);
    this.#heartbeat.unref();
    const close = () => {
      this.#streams.delete(res);
      if (this.#streams.size === 0) this.#idle();
    };
    req.once("close", close);
    res.once("close", close);
  }

  #idle(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#kinds.clear();
    this.#clients.clear();
    this.#more = false;
  }

  #flush(): void {
    this.#flushTimer = undefined;
    if (this.#kinds.size === 0) return;
    const changes: Changes = { kinds: [...this.#kinds], clients: [...this.#clients], more: this.#more };
    this.#kinds.clear();
    this.#clients.clear();
    this.#more = false;
    this.#send(`event: changes\ndata: ${JSON.stringify(changes)}\n\n`);
  }

  #send(text: string): void {
    for (const res of this.#streams) {
      // A stream that cannot keep up is dropped rather than buffered without bound.
      if (res.writableLength > 64 * 1024) res.destroy();
      else res.write(text);
    }
  }
}

function kindOf(event: SitebootEvent): ChangeKind | undefined {
  switch (event.type) {
    case "dhcp.lease":
    case "dhcp.pool-exhausted":
      return "leases";
    case "dhcp.message":
      return "dhcp";
    case "dns.query":
      return "dns";
    case "dns.name":
      return "names";
    case "ntp.request":
      return "ntp";
    case "service.state":
      return event.service === "appliance" ? "reload" : "health";
    case "service.error":
      return "health";
    default:
      return undefined;
  }
}

function clientOf(event: SitebootEvent): string | undefined {
  switch (event.type) {
    case "dhcp.lease":
    case "dhcp.message":
    case "dns.name":
      return event.mac;
    case "dns.query":
    case "ntp.request":
      return event.client;
    default:
      return undefined;
  }
}

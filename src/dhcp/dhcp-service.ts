/**
 * The DHCP service: sockets per served interface → decision core → durable lease writes → reply.
 * The ACK leaves only after the lease store has made the lease durable (concurrent requests share
 * one fsync in the file store). Expired leases and ended quarantines are reclaimed periodically.
 * When servers share a lease database, a write another server won is decided again (see
 * docs/leases.md, "Two servers on one database").
 */
import { formatIpv4 } from "../config/ipv4.js";
import type { Site } from "../config/site.js";
import type { LeaseNames } from "../dns/lease-names.js";
import type { DhcpMessageEvent, EventSink, SitebootEvent } from "../observe/events.js";
import type { Service } from "../service.js";
import type { Lease } from "./leases/lease.js";
import type { LeaseStore } from "./leases/lease-store.js";
import { LeaseStoreError } from "./leases/lease-store-error.js";
import { type CoreOutcome, DHCP_CLIENT_PORT, DhcpServerCore } from "./server-core.js";
import { InterfaceSockets, type SocketOpener } from "./transport.js";

export interface DhcpServiceDeps {
  readonly events: EventSink;
  /** Already open (the appliance opens it first, to replay the journal, and closes it last). */
  readonly leases: LeaseStore;
  readonly now?: () => number;
  /** Port replies to clients go to (68; tests may use another). */
  readonly clientPort?: number;
  /** Overrides site.listen.ports.dhcp (the port we listen on and send relay replies to). */
  readonly serverPort?: number;
  /** How often expired leases are reclaimed (ms, default 10 s). */
  readonly reclaimIntervalMs?: number;
  /** Socket factory (default: device-bound sockets from the native module). */
  readonly openSocket?: SocketOpener;
  /** Lease host names served in DNS (`dhcp.ddns`): told of every durable lease change. */
  readonly leaseNames?: LeaseNames;
}

/** Decisions made again after a lease conflict with another server, per message. */
const MAX_CONFLICT_RETRIES = 2;

function isConflict(error: unknown): boolean {
  return error instanceof LeaseStoreError && error.code === "SITEBOOT_ERR_LEASES_CONFLICT";
}

export class DhcpService implements Service {
  readonly name = "dhcp" as const;
  #site: Site;
  readonly #deps: DhcpServiceDeps;
  readonly #now: () => number;
  readonly #core: DhcpServerCore;
  #sockets: InterfaceSockets | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Lease writes (and reclaims) not finished yet; stop() waits for them. */
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  #reclaiming = false;
  #stopped = true;
  /** Stops the lease store's own events (a PostgreSQL store's connection, lost races). */
  #detachStore: (() => void) | undefined;

  constructor(site: Site, deps: DhcpServiceDeps) {
    this.#site = site;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#core = new DhcpServerCore(
      site,
      deps.leases,
      {
        serverPort: this.#serverPort(site),
        clientPort: deps.clientPort ?? DHCP_CLIENT_PORT,
      },
      deps.leaseNames,
    );
  }

  #serverPort(site: Site): number {
    return this.#deps.serverPort ?? site.listen.ports.dhcp;
  }

  async start(): Promise<void> {
    this.#bind(this.#site);
    this.#stopped = false;
    this.#followStore();
    const interval = this.#deps.reclaimIntervalMs ?? 10_000;
    this.#timer = setInterval(() => this.#reclaim(), interval);
    this.#timer.unref();
    this.#reclaim();
    this.#state("listening", `interfaces ${this.#sockets?.interfaces.join(", ") || "(none)"}`);
  }

  #bind(site: Site): void {
    this.#sockets = InterfaceSockets.open(
      site.listen.interfaces,
      this.#serverPort(site),
      (batch, iface) => this.#receive(batch, iface),
      (iface, error) => this.#error(`socket error on ${iface}`, error.message),
      this.#deps.openSocket,
    );
  }

  async reload(site: Site): Promise<void> {
    const before = this.#site;
    this.#site = site;
    this.#core.setSite(site, { serverPort: this.#serverPort(site) });
    const rebind =
      before.listen.interfaces.join("\n") !== site.listen.interfaces.join("\n") ||
      this.#serverPort(before) !== this.#serverPort(site);
    if (rebind && !this.#stopped) {
      this.#sockets?.close();
      this.#sockets = undefined;
      try {
        this.#bind(site);
      } catch (error) {
        this.#state("reload-failed", error instanceof Error ? error.message : String(error));
        throw error;
      }
    }
    this.#state("reloaded");
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#detachStore?.();
    this.#detachStore = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sockets?.close();
    this.#sockets = undefined;
    // In-flight lease writes finish (and their replies go nowhere) before the store may be closed.
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.#state("stopped");
  }

  /**
   * The store's events join the service's. A database first reached after start (it was down
   * when siteboot started), or reached again after a lost connection (its cache reloaded, with
   * what other servers wrote meanwhile), brings the leases the lease host names in DNS are built
   * from; while connected, each write of another server moves its name here as well.
   */
  #followStore(): void {
    let subscribing = true;
    const detachRemote = this.#deps.leases.onRemoteWrite?.((lease, previous) => {
      // Another server's lease moves its host name here too, so every server's DNS answers it.
      const written = lease ?? (previous && { ...previous, state: "released" as const });
      if (written) for (const event of this.#nameChanges([written])) this.#deps.events.emit(event);
    });
    const detachEvents = this.#deps.leases.reportTo?.({
      emit: (event) => {
        this.#deps.events.emit(event);
        if (subscribing || event.type !== "leases.pg") return;
        if (event.action !== "connected" && event.action !== "reconnected") return;
        const names = this.#deps.leaseNames;
        if (names === undefined) return;
        for (const named of names.rebuild(this.#site, this.#deps.leases.all(), this.#now())) {
          this.#deps.events.emit(named);
        }
      },
    });
    subscribing = false;
    this.#detachStore = () => {
      detachRemote?.();
      detachEvents?.();
    };
  }

  /**
   * The requests of one read are answered at once, in the receive callback: requests first (each
   * one completes an exchange), then DISCOVERs newest first. Under overload this finishes
   * exchanges instead of starting new ones that clients will have given up on.
   */
  #receive(batch: Buffer[], iface: string): void {
    // A hot standby hears everything and answers nothing until the active server is gone.
    if (this.#stopped || this.#deps.leases.serving === false) return;
    const discovers: Buffer[] = [];
    for (const bytes of batch) {
      const isDiscover = bytes.length > 242 && bytes[240] === 53 && bytes[241] === 1 && bytes[242] === 1;
      if (isDiscover) discovers.push(bytes);
      else this.#handle(bytes, iface);
    }
    for (let i = discovers.length - 1; i >= 0; i--) this.#handle(discovers[i]!, iface);
  }

  #handle(bytes: Buffer, iface: string, attempt = 0): void {
    if (this.#stopped) return;
    let outcome: CoreOutcome;
    try {
      outcome = this.#core.handle(
        new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        { interface: iface },
        this.#now(),
      );
    } catch (error) {
      // The core is written not to throw; if it ever does, one message is lost, never the service.
      this.#error(
        "DHCP core failed on a message",
        error instanceof Error ? (error.stack ?? error.message) : String(error),
      );
      return;
    }
    const writes = outcome.leaseWrites;
    if (writes.length === 0) {
      this.#finish(outcome, iface);
      return;
    }
    const leases = this.#deps.leases;
    // Nearly every ACK writes one lease: no Promise.all for that one.
    const durable =
      writes.length === 1 ? leases.put(writes[0]!) : Promise.all(writes.map((l) => leases.put(l)));
    this.#inFlight++;
    durable.then(
      () => {
        try {
          const named = this.#nameChanges(writes);
          this.#finish(
            named.length === 0 ? outcome : { ...outcome, events: [...outcome.events, ...named] },
            iface,
          );
        } finally {
          this.#settled();
        }
      },
      (error: unknown) => {
        try {
          // Another server sharing the database took the address first; the store has refreshed
          // that row, so deciding again gives another address or the NAK RFC 2131 asks for.
          if (isConflict(error) && attempt < MAX_CONFLICT_RETRIES) this.#handle(bytes, iface, attempt + 1);
          else this.#writeFailed(outcome, error);
        } finally {
          this.#settled();
        }
      },
    );
  }

  #settled(): void {
    if (--this.#inFlight > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #writeFailed(outcome: CoreOutcome, error: unknown): void {
    this.#error(
      "lease store write failed; reply withheld",
      error instanceof Error ? error.message : String(error),
    );
    const [message] = outcome.events;
    if (message?.type === "dhcp.message") {
      this.#deps.events.emit({ ...message, reply: null, replyReason: "lease store write failed" });
    }
  }

  #finish(outcome: CoreOutcome, iface: string): void {
    const reply = outcome.reply;
    if (!reply || !this.#sockets) {
      this.#emitAll(outcome, undefined);
      return;
    }
    const { address, port } = reply.destination;
    this.#sockets.send(iface, reply.bytes, address, port, (sendError) => {
      if (sendError) this.#error(`sending ${reply.message} to ${address} on ${iface}`, sendError.message);
      this.#emitAll(outcome, sendError);
    });
  }

  #emitAll(outcome: CoreOutcome, sendError: Error | undefined): void {
    for (const event of outcome.events) {
      if (sendError && event.type === "dhcp.message") {
        const failed: DhcpMessageEvent = {
          ...event,
          reply: null,
          replyReason: `send failed: ${sendError.message}`,
        };
        this.#deps.events.emit(failed);
      } else {
        this.#deps.events.emit(event);
      }
    }
  }

  /** Marks expired leases and ended quarantines as expired (durably). */
  #reclaim(): void {
    if (this.#reclaiming || this.#stopped || this.#deps.leases.serving === false) return;
    this.#reclaiming = true;
    const { writes, events } = this.#core.reclaim(this.#now());
    this.#inFlight++;
    Promise.allSettled(writes.map((lease) => this.#deps.leases.put(lease)))
      .then((results) => {
        // Another server sharing the database renewed or reassigned an address first: not an
        // error, and that lease did not expire.
        const taken = new Set<string>();
        let failure: unknown;
        results.forEach((result, i) => {
          if (result.status === "fulfilled") return;
          if (isConflict(result.reason)) taken.add(formatIpv4(writes[i]!.address));
          else failure ??= result.reason;
        });
        if (failure !== undefined) {
          this.#error("reclaiming expired leases failed", String(failure));
          return;
        }
        const expired = writes.filter((lease) => !taken.has(formatIpv4(lease.address)));
        for (const event of [...events, ...this.#nameChanges(expired)]) {
          if (!(event.type === "dhcp.lease" && taken.has(event.address))) this.#deps.events.emit(event);
        }
      })
      .finally(() => {
        this.#reclaiming = false;
        this.#settled();
      });
  }

  /** Durable lease writes move lease host names (before the reply leaves, so DNS already answers). */
  #nameChanges(writes: readonly Lease[]): SitebootEvent[] {
    const names = this.#deps.leaseNames;
    if (names === undefined || !names.enabled) return [];
    const events: SitebootEvent[] = [];
    const now = this.#now();
    for (const lease of writes) {
      const event = names.apply(lease, now);
      if (event) events.push(event);
    }
    return events;
  }

  #error(message: string, detail?: string): void {
    this.#deps.events.emit({
      type: "service.error",
      at: this.#now(),
      service: "dhcp",
      message,
      ...(detail !== undefined ? { detail } : {}),
    });
  }

  #state(state: "listening" | "stopped" | "reloaded" | "reload-failed", detail?: string): void {
    this.#deps.events.emit({
      type: "service.state",
      at: this.#now(),
      service: "dhcp",
      state,
      ...(detail !== undefined ? { detail } : {}),
    });
  }
}

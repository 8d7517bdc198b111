/**
 * The DNS service: binds UDP and TCP on every listen.bind address at listen.ports.dns and answers
 * through the engine compiled from the Site. Reload compiles a new engine and swaps it in one
 * assignment (queries being answered finish on the old one); sockets are rebound only when the
 * bind addresses or the port changed.
 */
import type { AddressInfo } from "node:net";
import type { Site } from "../config/site.js";
import { type DnsQueryEvent, type EventSink, NO_EVENTS, type SitebootEvent } from "../observe/events.js";
import type { Service } from "../service.js";
import { type AnswerResult, answerQuery, type ClientInfo, DnsEngine, type EngineDeps } from "./engine.js";
import type { LeaseNames } from "./lease-names.js";
import { closeTcp, openTcp, type TcpListener } from "./tcp-transport.js";
import { closeUdp, openUdp, type UdpListener, type UdpQueries } from "./udp-transport.js";

export interface DnsServiceDeps {
  readonly events: EventSink;
  readonly now?: () => number;
  /** Lease host names to serve in the zones (`dhcp.ddns`). */
  readonly leaseNames?: LeaseNames;
}

/** Attempts to find a port free on both UDP and TCP when port 0 (any) is asked for. */
const EPHEMERAL_ATTEMPTS = 8;

export class DnsService implements Service {
  readonly name = "dns" as const;
  #site: Site;
  #engine: DnsEngine;
  readonly #events: EventSink;
  /** What the engine emits into: holds a UDP answer's dns.query event until its reply is sent. */
  readonly #engineEvents: EventSink;
  readonly #now: () => number;
  readonly #leaseNames: LeaseNames | undefined;
  #udp: UdpListener[] = [];
  #tcp: TcpListener[] = [];
  #listening = false;

  constructor(site: Site, deps: DnsServiceDeps) {
    this.#site = site;
    this.#events = deps.events;
    this.#now = deps.now ?? Date.now;
    // NO_EVENTS stays itself so the engine keeps its quiet fast path.
    this.#engineEvents = this.#events === NO_EVENTS ? NO_EVENTS : { emit: (e) => this.#engineEmit(e) };
    this.#leaseNames = deps.leaseNames;
    this.#engine = new DnsEngine(site.dns, this.#engineDeps(site));
  }

  /** Lease names only when the site serves them: otherwise the authority answers alone. */
  #engineDeps(site: Site): EngineDeps {
    const deps = { events: this.#engineEvents, now: this.#now };
    return this.#leaseNames && site.dhcp.ddns ? { ...deps, leaseNames: this.#leaseNames } : deps;
  }

  /** The engine currently answering (tests, status output). */
  get engine(): DnsEngine {
    return this.#engine;
  }

  async start(): Promise<void> {
    if (this.#listening) return;
    if (!this.#site.dns.enabled) {
      this.#state("stopped", "dns.enabled is false");
      return;
    }
    await this.#bind(this.#site);
    this.#listening = true;
    const where = this.addresses()
      .udp.map((a) => `${a.address}:${a.port}`)
      .join(", ");
    this.#state("listening", `udp+tcp ${where}`);
  }

  async reload(site: Site): Promise<void> {
    const engine = new DnsEngine(site.dns, this.#engineDeps(site), this.#engine);
    const old = this.#site;
    const rebind =
      this.#listening &&
      (old.listen.ports.dns !== site.listen.ports.dns ||
        old.listen.bind.join(",") !== site.listen.bind.join(",") ||
        site.dns.enabled !== old.dns.enabled ||
        site.dns.tcp.maxConnections !== old.dns.tcp.maxConnections);
    this.#engine = engine;
    this.#site = site;
    if (rebind) {
      await this.#unbind();
      this.#listening = false;
      await this.start();
    } else if (!this.#listening && site.dns.enabled && !old.dns.enabled) {
      await this.start();
    }
    this.#state("reloaded", `${engine.authority.zoneCount} zones, ${engine.authority.nameCount} names`);
  }

  async stop(): Promise<void> {
    await this.#unbind();
    if (this.#listening) this.#state("stopped");
    this.#listening = false;
  }

  addresses(): { udp: AddressInfo[]; tcp: AddressInfo[] } {
    return {
      udp: this.#udp.map((s) => s.address()),
      tcp: this.#tcp.map((t) => t.server.address() as AddressInfo),
    };
  }

  #handle = (query: Buffer, client: ClientInfo): AnswerResult => answerQuery(this.#engine, query, client);

  // micros for UDP answers: the engine's dns.query event for a query answered at once is held
  // under the query's index in its batch until the transport says the reply is on the socket. The
  // batch owns both: each event is found by its own query's index, and a new batch starts empty,
  // so a query that failed half-way never passes its event (or its latency) to another.
  #capturing = false;
  #captured: DnsQueryEvent | undefined;
  readonly #held: (DnsQueryEvent | undefined)[] = [];

  #engineEmit(event: SitebootEvent): void {
    if (this.#capturing && event.type === "dns.query" && this.#captured === undefined) this.#captured = event;
    else this.#events.emit(event);
  }

  readonly #udpQueries: UdpQueries = {
    beginBatch: () => {
      this.#held.length = 0;
    },
    answer: (query, client, index) => {
      this.#capturing = true;
      this.#captured = undefined;
      let result: AnswerResult;
      try {
        result = answerQuery(this.#engine, query, client);
      } finally {
        this.#capturing = false;
      }
      const event = this.#captured;
      this.#captured = undefined;
      if (result instanceof Buffer) this.#held[index] = event;
      else if (event) this.#events.emit(event);
      return result;
    },
    sent: (index, micros) => {
      const event = this.#held[index];
      this.#held[index] = undefined;
      if (event) this.#events.emit({ ...event, micros: Math.round(micros * 10) / 10 });
    },
  };

  /** Without event subscribers nothing is held: queries go straight to the engine. */
  readonly #udpQuiet: UdpQueries = { answer: this.#handle };

  #onError = (error: Error): void => {
    this.#events.emit({ type: "service.error", at: this.#now(), service: "dns", message: error.message });
  };

  async #bind(site: Site): Promise<void> {
    const port = site.listen.ports.dns;
    const tcpSettings = () => this.#site.dns.tcp;
    try {
      for (const address of site.listen.bind) {
        for (let attempt = 0; ; attempt++) {
          const queries = this.#events === NO_EVENTS ? this.#udpQuiet : this.#udpQueries;
          const udp = await openUdp(address, port, queries, this.#onError);
          const actual = udp.address().port;
          try {
            const tcp = await openTcp(address, actual, tcpSettings, this.#handle, this.#onError);
            this.#udp.push(udp);
            this.#tcp.push(tcp);
            break;
          } catch (error) {
            await closeUdp(udp);
            // With port 0 the kernel picked a UDP port whose TCP twin is taken: pick again.
            if (port !== 0 || attempt >= EPHEMERAL_ATTEMPTS) throw error;
          }
        }
      }
    } catch (error) {
      await this.#unbind();
      throw error;
    }
  }

  async #unbind(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = [];
    this.#tcp = [];
    await Promise.all([...udp.map(closeUdp), ...tcp.map(closeTcp)]);
  }

  #state(state: "listening" | "stopped" | "reloaded", detail?: string): void {
    this.#events.emit({
      type: "service.state",
      at: this.#now(),
      service: "dns",
      state,
      ...(detail ? { detail } : {}),
    });
  }
}

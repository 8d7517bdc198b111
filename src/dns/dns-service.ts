/**
 * The DNS service: binds UDP and TCP on every listen.bind address at listen.ports.dns and answers
 * through the engine compiled from the Site. Reload compiles a new engine and swaps it in one
 * assignment (queries being answered finish on the old one); sockets are rebound only when the
 * bind addresses or the port changed.
 */
import type dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import type { Site } from "../config/site.js";
import type { EventSink } from "../observe/events.js";
import type { Service } from "../service.js";
import { type AnswerResult, answerQuery, type ClientInfo, DnsEngine } from "./engine.js";
import { closeTcp, openTcp, type TcpListener } from "./tcp-transport.js";
import { closeUdp, openUdp } from "./udp-transport.js";

export interface DnsServiceDeps {
  readonly events: EventSink;
  readonly now?: () => number;
}

/** Attempts to find a port free on both UDP and TCP when port 0 (any) is asked for. */
const EPHEMERAL_ATTEMPTS = 8;

export class DnsService implements Service {
  readonly name = "dns" as const;
  #site: Site;
  #engine: DnsEngine;
  readonly #events: EventSink;
  readonly #now: () => number;
  #udp: dgram.Socket[] = [];
  #tcp: TcpListener[] = [];
  #listening = false;

  constructor(site: Site, deps: DnsServiceDeps) {
    this.#site = site;
    this.#events = deps.events;
    this.#now = deps.now ?? Date.now;
    this.#engine = new DnsEngine(site.dns, { events: this.#events, now: this.#now });
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
    const engine = new DnsEngine(site.dns, { events: this.#events, now: this.#now }, this.#engine);
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
    this.#state(
      "reloaded",
      `${engine.authority.zoneCount} zones, ${engine.authority.answerCount} compiled answers`,
    );
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

  #onError = (error: Error): void => {
    this.#events.emit({ type: "service.error", at: this.#now(), service: "dns", message: error.message });
  };

  async #bind(site: Site): Promise<void> {
    const port = site.listen.ports.dns;
    const tcpSettings = () => this.#site.dns.tcp;
    try {
      for (const address of site.listen.bind) {
        for (let attempt = 0; ; attempt++) {
          const udp = await openUdp(address, port, this.#handle, this.#onError);
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

/**
 * The NTP service: binds a UDP socket per `listen.bind` address on `listen.ports.ntp`, takes the
 * receive timestamp first thing on arrival, runs the responder gate and sends the reply at once.
 * A reload swaps the responder (keeping the rate-limit table when its limits did not change) and
 * rebinds only the sockets whose address or port changed, opening new ones before closing old ones
 * so a failed reload leaves the old configuration serving.
 */
import type { AddressInfo } from "node:net";
import type { Site } from "../config/site.js";
import { type EventSink, NO_EVENTS, type NtpRequestEvent } from "../observe/events.js";
import type { Service } from "../service.js";
import { type Clock, HostClock } from "./clock.js";
import { CommandHostSync, type HostSyncSource } from "./host-sync.js";
import { NTP_HEADER_LENGTH } from "./packet.js";
import { NtpResponder } from "./responder.js";
import type { ServerState } from "./server-state.js";
import { addNanos, type Instant, readU32, writeTimestamp } from "./timestamp.js";
import {
  closeEndpoint,
  endpointKey,
  type NtpPacketHandler,
  openEndpoint,
  type UdpEndpoint,
} from "./udp-transport.js";

export interface NtpServiceDeps {
  readonly events: EventSink;
  readonly clock?: Clock;
  readonly hostSync?: HostSyncSource;
  /** For the rate limiter's leak (default Math.random). */
  readonly random?: () => number;
}

export class NtpService implements Service {
  readonly name = "ntp" as const;
  readonly #events: EventSink;
  readonly #clock: Clock;
  readonly #hostSync: HostSyncSource;
  readonly #random: (() => number) | undefined;
  #site: Site;
  #responder: NtpResponder;
  #endpoints = new Map<string, UdpEndpoint>();
  #hostSyncRunning = false;
  #started = false;

  constructor(site: Site, deps: NtpServiceDeps) {
    this.#site = site;
    this.#events = deps.events;
    this.#quiet = deps.events === NO_EVENTS;
    this.#clock = deps.clock ?? new HostClock();
    this.#hostSync = deps.hostSync ?? new CommandHostSync();
    this.#random = deps.random;
    this.#responder = this.#makeResponder(site);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#clock.start?.();
    await this.#syncHostSync(this.#site);
    try {
      await this.#rebind(this.#site);
    } catch (error) {
      this.#clock.stop?.();
      this.#stopHostSync();
      throw error;
    }
    this.#started = true;
    this.#emitState("listening", this.#describe());
  }

  async reload(site: Site): Promise<void> {
    if (!this.#started) {
      this.#site = site;
      this.#responder = this.#makeResponder(site);
      return;
    }
    try {
      await this.#syncHostSync(site);
      const responder = this.#makeResponder(site, this.#responder);
      await this.#rebind(site);
      this.#responder = responder;
      this.#site = site;
      this.#emitState("reloaded", this.#describe());
    } catch (error) {
      this.#emitState("reload-failed", error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  async stop(): Promise<void> {
    const endpoints = [...this.#endpoints.values()];
    this.#endpoints.clear();
    await Promise.all(endpoints.map(closeEndpoint));
    this.#clock.stop?.();
    this.#stopHostSync();
    if (this.#started) this.#emitState("stopped");
    this.#started = false;
  }

  /** Bound sockets (port 0 in the site resolves to the real port here). */
  addresses(): AddressInfo[] {
    return [...this.#endpoints.values()].map((e) => e.addressInfo());
  }

  /** What replies currently say about the server's clock (for status output). */
  serverState(): ServerState {
    return this.#responder.state();
  }

  /** The clock reading taken first thing when a receive (batch) reaches JavaScript. */
  #batchNow: Instant = { sec: 0, nsec: 0 };

  readonly #packets: NtpPacketHandler = {
    beginBatch: () => {
      this.#batchNow = this.#clock.now();
    },
    datagram: (message, address, _port, ageNanos) => {
      // The receive timestamp: the kernel's arrival time carried onto this clock's timeline
      // (batch reading minus the datagram's age), so receive and transmit come from one clock.
      const received = ageNanos > 0 ? addNanos(this.#batchNow, -Math.round(ageNanos)) : this.#batchNow;
      const decision = this.#responder.respond(message, address, received);
      const reply = decision.kind === "reply" || decision.kind === "kod" ? decision.reply : null;
      if (!this.#quiet) this.#emitRequest(message, address, received, decision);
      return reply;
    },
    beforeSend: (reply) => {
      // KoD replies (stratum 0) echo the origin as their transmit timestamp: left alone.
      if (reply.length < NTP_HEADER_LENGTH || reply[1] === 0) return;
      const now = this.#clock.now();
      const probe = this.#stampScratch;
      writeTimestamp(probe, 0, now);
      const sec = readU32(probe, 0);
      const frac = readU32(probe, 4);
      const rxSec = readU32(reply, 32);
      const rxFrac = readU32(reply, 36);
      // Never before the receive timestamp, even if the system clock stepped back meanwhile.
      if (sec < rxSec || (sec === rxSec && frac < rxFrac)) return;
      reply.set(probe, 40);
    },
  };

  readonly #quiet: boolean;
  readonly #stampScratch = new Uint8Array(8);

  #emitRequest(
    message: Buffer,
    client: string,
    received: Instant,
    decision: ReturnType<NtpResponder["respond"]>,
  ): void {
    const at = received.sec * 1000 + received.nsec / 1e6;
    const first = message.length > 0 ? message[0]! : 0;
    const mode = first & 7;
    let event: NtpRequestEvent;
    switch (decision.kind) {
      case "reply":
        event = {
          type: "ntp.request",
          at,
          client,
          version: decision.version,
          mode,
          outcome: "reply",
          stratum: decision.stratum,
          leap: decision.leap,
        };
        break;
      case "ignored":
        event = {
          type: "ntp.request",
          at,
          client,
          version: (first >>> 3) & 7,
          mode,
          outcome: "ignored",
          reason: decision.reason,
        };
        break;
      default:
        event = { type: "ntp.request", at, client, version: decision.version, mode, outcome: decision.kind };
    }
    this.#events.emit(event);
  }

  #makeResponder(site: Site, previous?: NtpResponder): NtpResponder {
    return new NtpResponder(
      site.ntp,
      { clock: this.#clock, hostSync: this.#hostSync, ...(this.#random ? { random: this.#random } : {}) },
      previous,
    );
  }

  /** The host's sync state is only needed (and only polled) outside `local` mode. */
  async #syncHostSync(site: Site): Promise<void> {
    const needed = site.ntp.enabled && site.ntp.stratum.mode !== "local";
    if (needed && !this.#hostSyncRunning) {
      this.#hostSyncRunning = true;
      await this.#hostSync.start();
    } else if (!needed) {
      this.#stopHostSync();
    }
  }

  #stopHostSync(): void {
    if (!this.#hostSyncRunning) return;
    this.#hostSyncRunning = false;
    this.#hostSync.stop();
  }

  async #rebind(site: Site): Promise<void> {
    const port = site.listen.ports.ntp;
    const wanted = site.ntp.enabled ? [...new Set(site.listen.bind)] : [];
    const wantedKeys = new Set(wanted.map((a) => endpointKey(a, port)));
    const opened: UdpEndpoint[] = [];
    try {
      for (const address of wanted) {
        if (this.#endpoints.has(endpointKey(address, port))) continue;
        opened.push(await openEndpoint(address, port, this.#packets, (e) => this.#socketError(e)));
      }
    } catch (error) {
      await Promise.all(opened.map(closeEndpoint));
      throw error;
    }
    const stale = [...this.#endpoints.values()].filter((e) => !wantedKeys.has(e.key));
    for (const e of stale) this.#endpoints.delete(e.key);
    for (const e of opened) this.#endpoints.set(e.key, e);
    await Promise.all(stale.map(closeEndpoint));
  }

  #socketError(error: Error): void {
    this.#events.emit({ type: "service.error", at: Date.now(), service: "ntp", message: error.message });
  }

  #emitState(state: "listening" | "stopped" | "reloaded" | "reload-failed", detail?: string): void {
    this.#events.emit({
      type: "service.state",
      at: Date.now(),
      service: "ntp",
      state,
      ...(detail ? { detail } : {}),
    });
  }

  #describe(): string {
    const where = this.addresses().map((a) => endpointKey(a.address, a.port));
    const s = this.#responder.state();
    const mode = this.#site.ntp.stratum.mode;
    return `${where.join(" ") || "no sockets"}; stratum mode ${mode}, serving stratum ${s.stratum}${s.leap === 3 ? " (unsynchronised)" : ""}`;
  }
}

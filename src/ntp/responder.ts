/**
 * The server gate, in chronyd's order: length → access → mode → version → rate limit → reply.
 * Pure apart from the injected clock (for the transmit timestamp) and host-sync snapshot: bytes
 * and a client address in, a decision (and reply bytes) out. Never throws on any input.
 */
import type { NtpSite } from "../config/site.js";
import { AccessFilter } from "./access-filter.js";
import type { Clock } from "./clock.js";
import type { HostSyncSource, HostSyncState } from "./host-sync.js";
import { NTP_HEADER_LENGTH, NtpMode, referenceIdFromText } from "./packet.js";
import { RateLimiter } from "./rate-limiter.js";
import { type ServerState, serverState } from "./server-state.js";
import { compareInstants, type Instant, toShortFormat, writeTimestamp, writeU32 } from "./timestamp.js";

export type IgnoreReason = "length" | "mode" | "version";

export type NtpDecision =
  /** Not a client request this server answers (malformed, not mode 3, unknown version): no reply, no event. */
  | { readonly kind: "ignored"; readonly reason: IgnoreReason }
  | { readonly kind: "denied"; readonly version: number }
  | { readonly kind: "rate-limited"; readonly version: number }
  | {
      readonly kind: "reply";
      readonly version: number;
      readonly reply: Uint8Array;
      readonly stratum: number;
      readonly leap: number;
    }
  | { readonly kind: "kod"; readonly version: number; readonly reply: Uint8Array };

const IGNORED_LENGTH: NtpDecision = Object.freeze({ kind: "ignored", reason: "length" });
const IGNORED_MODE: NtpDecision = Object.freeze({ kind: "ignored", reason: "mode" });
const IGNORED_VERSION: NtpDecision = Object.freeze({ kind: "ignored", reason: "version" });

/** "RATE" kiss code. */
const KOD_RATE = 0x52415445;

export interface ResponderDeps {
  readonly clock: Clock;
  readonly hostSync: HostSyncSource;
  /** For the rate limiter's leak (default Math.random). */
  readonly random?: () => number;
  /** Reply buffer allocator (default Buffer.allocUnsafe). */
  readonly allocate?: (length: number) => Uint8Array;
}

export class NtpResponder {
  readonly settings: NtpSite;
  readonly limiter: RateLimiter | undefined;
  readonly #access: AccessFilter;
  readonly #clock: Clock;
  readonly #hostSync: HostSyncSource;
  readonly #allocate: (length: number) => Uint8Array;
  readonly #referenceId: number;
  readonly #pollFloor: number;
  /** Bytes 1–23 of every reply (stratum … reference time), rebuilt once a second or on a new host state. */
  readonly #header = new Uint8Array(23);
  #headerSec = Number.NaN;
  #headerHost: HostSyncState | undefined;
  #state: ServerState | undefined;

  /** `previous`: a responder being replaced on reload; its client table is kept when the limits did not change. */
  constructor(settings: NtpSite, deps: ResponderDeps, previous?: NtpResponder) {
    this.settings = settings;
    this.#access = new AccessFilter(settings.allow);
    this.#clock = deps.clock;
    this.#hostSync = deps.hostSync;
    this.#allocate = deps.allocate ?? Buffer.allocUnsafe;
    this.#referenceId = referenceIdFromText(settings.refid);
    const limits = { ...settings.rateLimit, maxClients: settings.maxClients };
    if (!settings.rateLimit.enabled) this.limiter = undefined;
    else if (previous?.limiter && sameLimits(previous.limiter.settings, limits))
      this.limiter = previous.limiter;
    else this.limiter = new RateLimiter(limits, deps.random);
    this.#pollFloor = settings.rateLimit.enabled ? settings.rateLimit.interval : -128;
  }

  /** The server variables replies currently carry. */
  state(now: Instant = this.#clock.now()): ServerState {
    this.#refresh(now);
    return this.#state!;
  }

  respond(request: Uint8Array, client: string, received: Instant): NtpDecision {
    const length = request.length;
    if (length < NTP_HEADER_LENGTH || (length & 3) !== 0) return IGNORED_LENGTH;
    const first = request[0]!;
    const version = (first >>> 3) & 7;
    if (!this.#access.allows(client)) return { kind: "denied", version };
    // Only client requests are answered: never a server, peer, broadcast or control packet.
    if ((first & 7) !== NtpMode.client) return IGNORED_MODE;
    if (version < 1 || version > 4) return IGNORED_VERSION;

    const clientPoll = request[2]! > 127 ? request[2]! - 256 : request[2]!;
    const poll = Math.min(17, Math.max(clientPoll, this.#pollFloor));
    if (this.limiter) {
      const decision = this.limiter.check(client, received.sec * 1000 + received.nsec / 1e6);
      if (decision === "drop") return { kind: "rate-limited", version };
      if (decision === "kod") return { kind: "kod", version, reply: this.#kod(request, version, poll) };
    }

    this.#refresh(received);
    const state = this.#state!;
    const reply = this.#allocate(NTP_HEADER_LENGTH);
    reply[0] = (state.leap << 6) | (version << 3) | NtpMode.server;
    reply.set(this.#header, 1);
    reply[2] = poll & 0xff;
    // Origin: the request's transmit timestamp, bit for bit.
    for (let i = 0; i < 8; i++) reply[24 + i] = request[40 + i]!;
    writeTimestamp(reply, 32, received);
    // Transmit: as late as possible, and never before receive even if the clock stepped back meanwhile.
    const sent = this.#clock.now();
    writeTimestamp(reply, 40, compareInstants(sent, received) < 0 ? received : sent);
    return { kind: "reply", version, reply, stratum: state.stratum, leap: state.leap };
  }

  /** KoD RATE (RFC 5905 §7.4): stratum 0, kiss code in the reference ID, no time information. */
  #kod(request: Uint8Array, version: number, poll: number): Uint8Array {
    const reply = this.#allocate(NTP_HEADER_LENGTH);
    reply.fill(0);
    reply[0] = (3 << 6) | (version << 3) | NtpMode.server;
    reply[2] = poll & 0xff;
    reply[3] = this.#clock.precision & 0xff;
    writeU32(reply, 12, KOD_RATE);
    // Origin echoes the request (clients match it); receive and transmit carry the same value, as ntpd does.
    for (let i = 0; i < 8; i++) {
      const b = request[40 + i]!;
      reply[24 + i] = b;
      reply[32 + i] = b;
      reply[40 + i] = b;
    }
    return reply;
  }

  #refresh(now: Instant): void {
    const host = this.#hostSync.current();
    if (now.sec === this.#headerSec && host === this.#headerHost) return;
    const state = serverState(this.settings.stratum, this.#referenceId, host, now, this.#clock.precision);
    const h = this.#header;
    h.fill(0);
    // Index i here is reply byte i + 1.
    h[0] = state.stratum >= 16 ? 0 : state.stratum;
    h[2] = this.#clock.precision & 0xff;
    writeU32(h, 3, toShortFormat(state.rootDelay));
    writeU32(h, 7, toShortFormat(state.rootDispersion));
    writeU32(h, 11, state.referenceId >>> 0);
    if (state.referenceTime) writeTimestamp(h, 15, state.referenceTime);
    this.#state = state;
    this.#headerSec = now.sec;
    this.#headerHost = host;
  }
}

function sameLimits(a: RateLimiter["settings"], b: RateLimiter["settings"]): boolean {
  return (
    a.interval === b.interval &&
    a.burst === b.burst &&
    a.leak === b.leak &&
    a.kod === b.kod &&
    a.maxClients === b.maxClients
  );
}

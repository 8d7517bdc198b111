/**
 * Per-client response rate limiting with chronyd's `ratelimit` semantics: a token bucket per client
 * address holding up to `burst` responses and refilled at one response per 2^interval seconds. A
 * request finding the bucket empty is answered anyway, at random, once in 2^leak (so a spoofed
 * flood cannot silence the real client), which empties the bucket; otherwise it is dropped, or —
 * when `kod` is on — answered with a KoD RATE at most once per 2^interval seconds per client.
 * The client table is bounded: past `maxClients` the least recently seen client is forgotten.
 */

export interface RateLimitSettings {
  /** log2 seconds between responses (chronyd: -19…12, default 3). */
  readonly interval: number;
  /** Responses a client may take back to back (1–255, default 8). */
  readonly burst: number;
  /** 1 in 2^leak limited requests still answered (0: none; chronyd 1–4, default 2). */
  readonly leak: number;
  readonly kod: boolean;
  readonly maxClients: number;
}

/** answer: within the limit; leak: over it but let through; kod: send KoD RATE; drop: silence. */
export type RateDecision = "answer" | "leak" | "kod" | "drop";

interface ClientRecord {
  /** Credit in seconds (one response costs 2^interval). */
  credit: number;
  lastMs: number;
  lastKodMs: number;
}

export class RateLimiter {
  readonly settings: RateLimitSettings;
  readonly #cost: number;
  readonly #capacity: number;
  readonly #leakProbability: number;
  readonly #maxClients: number;
  readonly #random: () => number;
  readonly #clients = new Map<string, ClientRecord>();

  constructor(settings: RateLimitSettings, random: () => number = Math.random) {
    this.settings = settings;
    const interval = clamp(Math.round(settings.interval), -19, 12);
    const burst = clamp(Math.round(settings.burst), 1, 255);
    const leak = clamp(Math.round(settings.leak), 0, 4);
    this.#cost = 2 ** interval;
    this.#capacity = this.#cost * burst;
    this.#leakProbability = leak === 0 ? 0 : 2 ** -leak;
    this.#maxClients = Math.max(1, Math.floor(settings.maxClients));
    this.#random = random;
  }

  get size(): number {
    return this.#clients.size;
  }

  check(client: string, nowMs: number): RateDecision {
    let record = this.#clients.get(client);
    if (record === undefined) {
      record = { credit: this.#capacity, lastMs: nowMs, lastKodMs: Number.NEGATIVE_INFINITY };
      if (this.#clients.size >= this.#maxClients) {
        const oldest = this.#clients.keys().next();
        if (!oldest.done) this.#clients.delete(oldest.value);
      }
    } else {
      // Re-insert so Map order stays "least recently seen first".
      this.#clients.delete(client);
      const elapsed = (nowMs - record.lastMs) / 1000;
      // A clock stepped backwards refills nothing (chronyd ignores negative intervals too).
      if (elapsed > 0) record.credit = Math.min(this.#capacity, record.credit + elapsed);
      record.lastMs = nowMs;
    }
    this.#clients.set(client, record);

    if (record.credit >= this.#cost) {
      record.credit -= this.#cost;
      return "answer";
    }
    if (this.#leakProbability > 0 && this.#random() < this.#leakProbability) {
      record.credit = 0;
      return "leak";
    }
    if (this.settings.kod && !(nowMs - record.lastKodMs < this.#cost * 1000)) {
      record.lastKodMs = nowMs;
      return "kod";
    }
    return "drop";
  }
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : Math.min(value, max);
}

/**
 * Response-rate limiting in the manner of NSD's RRL: a token bucket per client network (/24 for
 * IPv4, /56 for IPv6) refilled at `responsesPerSecond`, with "slip": every Nth limited response
 * goes out as a minimal truncated answer (TC=1) so a real client behind a spoofed flood can retry
 * over TCP, while the rest are dropped. TCP answers are never limited. The table is bounded: when
 * full, the oldest bucket is forgotten (a client can only gain a fresh allowance from that).
 */
import { networkKey } from "./client-address.js";

export const RateDecision = { ANSWER: 0, DROP: 1, SLIP: 2 } as const;
export type RateDecision = (typeof RateDecision)[keyof typeof RateDecision];

interface Bucket {
  tokens: number;
  last: number;
  limited: number;
}

export interface RateLimitSettings {
  /** 0 turns limiting off. */
  readonly responsesPerSecond: number;
  /** Every Nth limited response slips (TC=1); 0: all are dropped. */
  readonly slip: number;
}

export class RateLimiter {
  readonly #buckets = new Map<number | string, Bucket>();

  constructor(
    private settings: RateLimitSettings,
    private readonly maxBuckets = 65_536,
  ) {}

  get enabled(): boolean {
    return this.settings.responsesPerSecond > 0;
  }

  get size(): number {
    return this.#buckets.size;
  }

  update(settings: RateLimitSettings): void {
    this.settings = settings;
  }

  /** `nowMs` from a monotonic-enough clock; called once per UDP response. */
  check(address: string, nowMs: number): RateDecision {
    const rate = this.settings.responsesPerSecond;
    if (rate <= 0) return RateDecision.ANSWER;
    const key = networkKey(address);
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.maxBuckets) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
      b = { tokens: rate, last: nowMs, limited: 0 };
      this.#buckets.set(key, b);
    } else if (nowMs > b.last) {
      // Refill, with one second's worth as the burst allowance.
      b.tokens = Math.min(rate, b.tokens + ((nowMs - b.last) * rate) / 1000);
      b.last = nowMs;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return RateDecision.ANSWER;
    }
    b.limited++;
    const slip = this.settings.slip;
    return slip > 0 && b.limited % slip === 0 ? RateDecision.SLIP : RateDecision.DROP;
  }
}

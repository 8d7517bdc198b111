/**
 * Response-rate limiting (RRL, as NSD and BIND do it): a token bucket per *kind of response* to a
 * client network, not per client network alone, so that a whole phone subnet signing in at once
 * does not share one allowance. The key is the client prefix (/24 IPv4, /56 IPv6 by default), the
 * response class, and a name: the qname and qtype for answers, the zone for NODATA and NXDOMAIN
 * (so random-name floods aggregate), nothing for errors. Each bucket refills at its class's rate
 * with one second of burst. When empty, every `slip`-th limited response goes out as a minimal
 * truncated answer (TC=1) so a real client retries over TCP (never limited); the rest are dropped.
 * The table is bounded: when full, the oldest bucket of the oldest network is forgotten (a key can
 * only gain a fresh allowance from that).
 */
import { networkKey } from "./client-address.js";

export const RateDecision = { ANSWER: 0, DROP: 1, SLIP: 2 } as const;
export type RateDecision = (typeof RateDecision)[keyof typeof RateDecision];

/** What a response is, for RRL: each class has its own rate and its own idea of "the same name". */
export const ResponseClass = { ANSWER: 0, NODATA: 1, NXDOMAIN: 2, ERROR: 3 } as const;
export type ResponseClass = (typeof ResponseClass)[keyof typeof ResponseClass];

export interface RateLimitSettings {
  /** Identical positive answers (same qname and qtype) per client network; 0 turns RRL off. */
  readonly responsesPerSecond: number;
  /** NODATA answers per zone per client network (absent: responsesPerSecond; 0: not limited). */
  readonly nodataPerSecond?: number;
  /** NXDOMAIN answers per zone per client network (absent: responsesPerSecond; 0: not limited). */
  readonly nxdomainsPerSecond?: number;
  /** REFUSED, FORMERR, NOTIMP, SERVFAIL... per client network (absent: responsesPerSecond; 0: not limited). */
  readonly errorsPerSecond?: number;
  /** Every Nth limited response slips (TC=1); 0: all are dropped. */
  readonly slip: number;
  /** Client network sizes that share buckets (absent: 24 and 56). */
  readonly ipv4PrefixLength?: number;
  readonly ipv6PrefixLength?: number;
}

interface Bucket {
  tokens: number;
  last: number;
  limited: number;
}

/** Bucket count bound: at most ~300 octets of key each, so the table stays under ~25 MB. */
export const MAX_BUCKETS = 65_536;

export class RateLimiter {
  /**
   * Network key → response key → bucket; two levels so IPv4 networks stay numbers. The response
   * key is the class digit + name for a text name, or the object itself (see `check`).
   */
  readonly #networks = new Map<number | string, Map<unknown, Bucket>>();
  #size = 0;
  /** The last client's network key: floods and bursts come from one address many times over. */
  #lastAddress = "";
  #lastNetwork: number | string = "";
  #rates: readonly number[] = [];
  #settings!: RateLimitSettings;

  constructor(
    settings: RateLimitSettings,
    private readonly maxBuckets = MAX_BUCKETS,
  ) {
    this.update(settings);
  }

  get enabled(): boolean {
    return this.#settings.responsesPerSecond > 0;
  }

  get size(): number {
    return this.#size;
  }

  update(settings: RateLimitSettings): void {
    const prefixesChanged =
      this.#settings !== undefined &&
      (prefix4(this.#settings) !== prefix4(settings) || prefix6(this.#settings) !== prefix6(settings));
    // Buckets keyed by the old network sizes would never be met again.
    if (prefixesChanged) {
      this.#networks.clear();
      this.#size = 0;
      this.#lastAddress = "";
    }
    this.#settings = settings;
    const base = settings.responsesPerSecond;
    this.#rates = [
      base,
      settings.nodataPerSecond ?? base,
      settings.nxdomainsPerSecond ?? base,
      settings.errorsPerSecond ?? base,
    ];
  }

  /** The per-second rate of a class (0: that class is not limited). */
  rate(cls: ResponseClass): number {
    return this.enabled ? this.#rates[cls]! : 0;
  }

  /**
   * Called once per UDP response about to be sent. `name` tells identical responses apart within
   * the class (see the module comment): a text, or an object that stands for one response of one
   * class only (the engine's kept answers: identity is cheaper to look up than a fresh string);
   * `nowMs` from a monotonic-enough clock.
   */
  check(address: string, cls: ResponseClass, name: string | object, nowMs: number): RateDecision {
    const rate = this.rate(cls);
    if (rate <= 0) return RateDecision.ANSWER;
    const s = this.#settings;
    if (address !== this.#lastAddress) {
      this.#lastNetwork = networkKey(address, prefix4(s), prefix6(s));
      this.#lastAddress = address;
    }
    const net = this.#lastNetwork;
    const key = typeof name === "string" ? CLASS_DIGIT[cls] + name : name;
    let buckets = this.#networks.get(net);
    let b = buckets?.get(key);
    if (b === undefined) {
      if (this.#size >= this.maxBuckets) this.#forgetOldest();
      b = { tokens: rate, last: nowMs, limited: 0 };
      if (buckets === undefined || buckets.size === 0) {
        buckets = new Map();
        this.#networks.set(net, buckets);
      }
      buckets.set(key, b);
      this.#size++;
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
    const slip = s.slip;
    return slip > 0 && b.limited % slip === 0 ? RateDecision.SLIP : RateDecision.DROP;
  }

  /**
   * Forgets the buckets keyed by objects: after a reload they stand for answers of an authority
   * that is gone, and would only keep its memory alive.
   */
  forgetObjectKeys(): void {
    for (const [net, buckets] of this.#networks) {
      for (const key of buckets.keys()) {
        if (typeof key !== "string") {
          buckets.delete(key);
          this.#size--;
        }
      }
      if (buckets.size === 0) this.#networks.delete(net);
    }
  }

  /** Forgets the oldest bucket of the oldest network (and the network once it has none left). */
  #forgetOldest(): void {
    const first = this.#networks.entries().next();
    if (first.done) return;
    const [net, buckets] = first.value;
    const oldest = buckets.keys().next();
    if (!oldest.done) {
      buckets.delete(oldest.value);
      this.#size--;
    }
    if (buckets.size === 0) this.#networks.delete(net);
  }
}

const CLASS_DIGIT = ["0", "1", "2", "3"] as const;

function prefix4(s: RateLimitSettings): number {
  return s.ipv4PrefixLength ?? 24;
}

function prefix6(s: RateLimitSettings): number {
  return s.ipv6PrefixLength ?? 56;
}

/**
 * Cache of raw upstream responses. An entry keeps the bytes as received plus the offsets of every
 * TTL field; serving copies the bytes, puts the client's ID, flags bit RD and question (0x20 case)
 * in, and rewrites each TTL decremented by the time spent in the cache. Positive answers live for
 * their smallest TTL, negative ones (NXDOMAIN, NODATA) for min(SOA TTL, SOA MINIMUM) (RFC 2308).
 */
import { LRUCache } from "lru-cache";
import { type ParsedMessage, soaMinimum } from "./message-parser.js";
import { FLAG, RCODE, TYPE } from "./wire.js";

/** Upper bounds on how long anything is kept, whatever the upstream says. */
export const MAX_POSITIVE_TTL = 86_400;
export const MAX_NEGATIVE_TTL = 10_800;

export interface CachedResponse {
  readonly bytes: Buffer;
  readonly ttlOffsets: readonly number[];
  readonly questionEnd: number;
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly rcode: number;
  readonly ancount: number;
  /** The answers in presentation form, for events (made once when stored). */
  readonly answerText: string | undefined;
}

/** Seconds a response may be cached, or 0 when it must not be (errors, truncation, no SOA). */
export function cacheSeconds(bytes: Uint8Array, message: ParsedMessage): number {
  if (message.flags & FLAG.TC) return 0;
  const rcode = message.rcode;
  const negative = rcode === RCODE.NXDOMAIN || (rcode === RCODE.NOERROR && message.answers.length === 0);
  if (negative) {
    const soa = message.authorities.find((r) => r.type === TYPE.SOA);
    if (!soa) return 0;
    const minimum = soaMinimum(bytes, soa);
    if (minimum === undefined) return 0;
    return Math.min(soa.ttl, minimum, MAX_NEGATIVE_TTL);
  }
  if (rcode !== RCODE.NOERROR) return 0;
  let ttl = MAX_POSITIVE_TTL;
  for (const r of message.answers) ttl = Math.min(ttl, r.ttl);
  for (const r of message.authorities) ttl = Math.min(ttl, r.ttl);
  return ttl;
}

export class ResponseCache {
  readonly #lru: LRUCache<string, CachedResponse> | undefined;

  constructor(readonly maxEntries: number) {
    this.#lru = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : undefined;
  }

  get size(): number {
    return this.#lru?.size ?? 0;
  }

  /**
   * Stores `bytes` (kept as is) when cacheable; returns the entry or undefined. `answerText` is the
   * answers in presentation form for events, made by the caller once for the reply and the entry.
   */
  store(
    key: string,
    bytes: Buffer,
    message: ParsedMessage,
    nowMs: number,
    answerText: string | undefined = undefined,
  ): CachedResponse | undefined {
    if (!this.#lru) return undefined;
    const seconds = cacheSeconds(bytes, message);
    if (seconds <= 0) return undefined;
    const q = message.questions[0];
    if (!q) return undefined;
    const ttlOffsets: number[] = [];
    for (const list of [message.answers, message.authorities, message.additionals]) {
      for (const r of list) ttlOffsets.push(r.ttlOffset);
    }
    const entry: CachedResponse = {
      bytes,
      ttlOffsets,
      questionEnd: q.end,
      storedAt: nowMs,
      expiresAt: nowMs + seconds * 1000,
      rcode: message.rcode,
      ancount: message.answers.length,
      answerText,
    };
    this.#lru.set(key, entry);
    return entry;
  }

  get(key: string, nowMs: number): CachedResponse | undefined {
    const entry = this.#lru?.get(key);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAt) {
      this.#lru!.delete(key);
      return undefined;
    }
    return entry;
  }

  clear(): void {
    this.#lru?.clear();
  }
}

/**
 * A reply to `query` from a cached entry: client's ID, RD bit and question bytes; TTLs minus the
 * whole seconds spent in the cache (never below 0).
 */
export function serveCached(entry: CachedResponse, query: Uint8Array, nowMs: number): Buffer {
  const out = Buffer.allocUnsafe(entry.bytes.length);
  entry.bytes.copy(out);
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = (out[2]! & ~0x01) | (query[2]! & 0x01);
  // Same lowercase name and type as the key, so the question has the same length: copy it raw.
  for (let i = 12; i < entry.questionEnd; i++) out[i] = query[i]!;
  const elapsed = Math.floor((nowMs - entry.storedAt) / 1000);
  if (elapsed > 0) {
    for (const at of entry.ttlOffsets) {
      // The OPT pseudo-record's "TTL" holds flags, not a time: it is skipped by type when parsed.
      const ttl = entry.bytes.readUInt32BE(at);
      out.writeUInt32BE(ttl > elapsed ? ttl - elapsed : 0, at);
    }
  }
  return out;
}

/**
 * Time values of the NTP wire format (RFC 5905 §6): the 64-bit timestamp (32-bit seconds since
 * 1900 modulo 2^32, 32-bit binary fraction) and the 32-bit "short" 16.16 format of root delay and
 * root dispersion. Conversions are exact: nanoseconds map to the fraction by integer arithmetic.
 */

/** A point in wall-clock time: Unix seconds (an integer, negative before 1970) plus nanoseconds. */
export interface Instant {
  readonly sec: number;
  /** 0 ≤ nsec < 1e9. */
  readonly nsec: number;
}

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch). */
export const NTP_UNIX_OFFSET = 2_208_988_800;
const ERA = 0x1_0000_0000;
/** 1e9 = 2^9 · 1953125, so ns · 2^32 / 1e9 = ns · 2^23 / 1953125 with every product below 2^53. */
const NS_ODD = 1_953_125;
const TWO_23 = 8_388_608;

/** NTP seconds field for a Unix time: (unix + offset) modulo 2^32, so 2036-02-07 wraps to era 1. */
export function ntpSeconds(unixSec: number): number {
  const s = (unixSec + NTP_UNIX_OFFSET) % ERA;
  return s < 0 ? s + ERA : s;
}

/** NTP fraction for nanoseconds: floor(nsec · 2^32 / 1e9), exact. */
export function ntpFraction(nsec: number): number {
  const scaled = nsec * TWO_23;
  let q = Math.floor(scaled / NS_ODD);
  // The float division can round up across an integer boundary; correct it with exact products.
  if (q * NS_ODD > scaled) q--;
  else if ((q + 1) * NS_ODD <= scaled) q++;
  return q;
}

/** Nanoseconds for an NTP fraction: the smallest nsec whose ntpFraction is ≥ fraction (round trip exact). */
export function fractionToNanos(fraction: number): number {
  // fraction · 1e9 / 2^32 = fraction · 1953125 / 2^23; the product stays below 2^53.
  const ns = Math.ceil((fraction * NS_ODD) / TWO_23);
  return ns >= 1e9 ? 999_999_999 : ns;
}

/** Writes an Instant as a 64-bit NTP timestamp (big-endian) at `offset`. */
export function writeTimestamp(out: Uint8Array, offset: number, t: Instant): void {
  writeU32(out, offset, ntpSeconds(t.sec));
  writeU32(out, offset + 4, ntpFraction(t.nsec));
}

/** Raw 64-bit NTP timestamp fields as read from the wire. */
export interface NtpTimestamp {
  readonly seconds: number;
  readonly fraction: number;
}

export function readTimestamp(bytes: Uint8Array, offset: number): NtpTimestamp {
  return { seconds: readU32(bytes, offset), fraction: readU32(bytes, offset + 4) };
}

/**
 * The Instant an NTP timestamp stands for, choosing the era (136-year window) that puts it nearest
 * to `pivotUnixSec` (RFC 5905 §6: the era is not on the wire and must come from context).
 */
export function timestampToInstant(ts: NtpTimestamp, pivotUnixSec: number): Instant {
  const base = ts.seconds - NTP_UNIX_OFFSET;
  const era = Math.round((pivotUnixSec - base) / ERA);
  return { sec: base + era * ERA, nsec: fractionToNanos(ts.fraction) };
}

/** Seconds as the 16.16 short format, rounded up (never under-state delay or dispersion), saturating. */
export function toShortFormat(seconds: number): number {
  if (!(seconds > 0)) return 0;
  const v = Math.ceil(seconds * 65536);
  return Math.min(v, 0xffffffff);
}

export function fromShortFormat(raw: number): number {
  return raw / 65536;
}

/** Difference a − b in seconds (float). */
export function diffSeconds(a: Instant, b: Instant): number {
  return a.sec - b.sec + (a.nsec - b.nsec) / 1e9;
}

/** Orders two instants: negative when a < b, zero when equal, positive when a > b. */
export function compareInstants(a: Instant, b: Instant): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

/** Instant plus a (possibly negative) whole number of nanoseconds. */
export function addNanos(t: Instant, nanos: number): Instant {
  const total = t.nsec + nanos;
  const carry = Math.floor(total / 1e9);
  return { sec: t.sec + carry, nsec: total - carry * 1e9 };
}

export function instantToMs(t: Instant): number {
  return t.sec * 1000 + t.nsec / 1e6;
}

export function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) * 0x1000000 +
      (((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0))) >>>
    0
  );
}

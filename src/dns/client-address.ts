/**
 * Client address helpers for the hot path: the rate limiter's per-network key and the forwarding
 * access check, computed from the address text Node hands us without allocating for IPv4.
 */
import ipaddr from "ipaddr.js";
import { cidrContains } from "../config/ipv4.js";
import type { Cidr } from "../config/site.js";

const MAPPED_PREFIX = "::ffff:";

/** Dotted-quad text (also as ::ffff:a.b.c.d) → unsigned 32-bit value, or -1 when not IPv4. */
export function ipv4Value(text: string): number {
  let i = 0;
  if (text.length > 7 && text.charCodeAt(0) === 0x3a && text.toLowerCase().startsWith(MAPPED_PREFIX)) i = 7;
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (; i <= text.length; i++) {
    const c = i === text.length ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part > 255) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      part = part * 10 + (c - 0x30);
      digits++;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

/**
 * Rate-limit network key: the client's address cut to its first `v4Bits` (IPv4, also when
 * IPv4-mapped: a number, so the hot path allocates nothing) or `v6Bits` (IPv6: "6:" plus hex).
 */
export function networkKey(address: string, v4Bits = 24, v6Bits = 56): number | string {
  const v4 = ipv4Value(address);
  if (v4 >= 0) return v4Bits <= 0 ? 0 : v4Bits >= 32 ? v4 : v4 >>> (32 - v4Bits);
  try {
    const bytes = ipaddr.IPv6.parse(address).toByteArray();
    let hex = "6:";
    for (let bit = 0; bit < v6Bits; bit += 8) {
      const keep = Math.min(8, v6Bits - bit);
      hex += ((bytes[bit >> 3]! >> (8 - keep)) << (8 - keep)).toString(16).padStart(2, "0");
    }
    return hex;
  } catch {
    return `?:${address}`;
  }
}

/** May this client use forwarding? IPv6 loopback counts as loopback when 127.0.0.1 is allowed. */
export function forwardAllowed(allow: readonly Cidr[], address: string): boolean {
  let v4 = ipv4Value(address);
  if (v4 < 0 && address === "::1") v4 = 0x7f000001;
  if (v4 < 0) return false;
  for (const cidr of allow) if (cidrContains(cidr, v4)) return true;
  return false;
}

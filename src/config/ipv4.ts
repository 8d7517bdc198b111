import { BoundedMemo } from "../bounded-memo.js";
import type { Cidr } from "./site.js";

/** What every IPv4 field of site.yaml says when its value is not an address. */
export const IPV4_EXPECTED = "expected an IPv4 address a.b.c.d (four decimal parts, each 0 to 255)";

/**
 * Strict IPv4 text ⇄ unsigned 32-bit integer. Only four-part dotted decimal is accepted: no
 * shortened forms such as `10.1`, no octal or hex parts, no leading zeros, no surrounding space.
 */
export function parseIpv4(text: string): number | undefined {
  // By hand rather than split + regex: the lease journal replay parses one address per line.
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part > 255 || ++parts > 4) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if ((digits > 0 && part === 0) || ++digits > 3) return undefined; // leading zero, or too long
      part = part * 10 + (c - 0x30);
    } else {
      return undefined;
    }
  }
  return parts === 4 ? value : undefined;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Addresses that repeat (clients, relays, leases) get their text made once and shared after. */
const ipv4Texts = new BoundedMemo(4096, formatIpv4);

/** formatIpv4 for hot paths: the same string object for the same address. */
export function ipv4Text(value: number): string {
  return ipv4Texts.get(value >>> 0);
}

export function ipv4ToBytes(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255);
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`; the address must be the network address (host bits zero). */
export function parseCidr(text: string): Cidr | { error: string } {
  const slash = text.indexOf("/");
  if (slash < 0) return { error: "expected an IPv4 network as a.b.c.d/prefix" };
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined)
    return { error: "expected an IPv4 network a.b.c.d/prefix (four decimal parts, each 0 to 255)" };
  if (!/^(0|[1-9][0-9]?)$/.test(prefixText) || Number(prefixText) > 32) {
    return { error: "the prefix length must be a whole number from 0 to 32" };
  }
  const prefix = Number(prefixText);
  const mask = prefixMask(prefix);
  const network = (address & mask) >>> 0;
  if (network !== address) {
    return { error: `host bits are set: the network address is ${formatIpv4(network)}/${prefix}` };
  }
  return { text: `${formatIpv4(network)}/${prefix}`, network, prefix, mask };
}

export function cidrContains(cidr: Cidr, address: number): boolean {
  return (address & cidr.mask) >>> 0 === cidr.network;
}

export function broadcastOf(cidr: Cidr): number {
  return (cidr.network | (~cidr.mask >>> 0)) >>> 0;
}

export const LOOPBACK: Cidr = { text: "127.0.0.0/8", network: 0x7f000000, prefix: 8, mask: 0xff000000 };

import type { Cidr } from "./site.js";

/**
 * Strict IPv4 text ⇄ unsigned 32-bit integer. Only four-part dotted decimal is accepted: no
 * shortened forms such as `10.1`, no octal or hex parts, no leading zeros, no surrounding space.
 */
const PART = /^(0|[1-9][0-9]{0,2})$/;

export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!PART.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
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
    return { error: "expected an IPv4 network as a.b.c.d/prefix (four decimal parts)" };
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

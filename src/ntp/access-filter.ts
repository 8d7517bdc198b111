/**
 * Which clients are answered: the site's `ntp.allow` networks (by default the DHCP subnets and
 * loopback). The allow list is IPv4; an IPv4-mapped IPv6 source is judged by its IPv4 address and
 * `::1` counts as loopback when 127.0.0.1 is allowed. Every other IPv6 source is refused.
 */
import type { Cidr } from "../config/site.js";

export class AccessFilter {
  readonly #networks: readonly Cidr[];
  readonly #loopbackAllowed: boolean;

  constructor(allow: readonly Cidr[]) {
    this.#networks = allow;
    this.#loopbackAllowed = this.#contains(0x7f000001);
  }

  allows(address: string): boolean {
    let ipv4 = parseIpv4Fast(address);
    if (ipv4 < 0) {
      if (address === "::1") return this.#loopbackAllowed;
      if (address.startsWith("::ffff:")) ipv4 = parseIpv4Fast(address.slice(7));
      if (ipv4 < 0) return false;
    }
    return this.#contains(ipv4);
  }

  #contains(address: number): boolean {
    for (const cidr of this.#networks) {
      if ((address & cidr.mask) >>> 0 === cidr.network) return true;
    }
    return false;
  }
}

/**
 * Dotted-quad to unsigned 32-bit, or -1. A hot-path parser for addresses the kernel produced
 * (always canonical), still strict about shape so odd input is refused rather than misread.
 */
export function parseIpv4Fast(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/**
 * DNS wire constants and small name helpers shared by the parsers, the zone compiler and the
 * forwarder. Names in the Site model are absolute, lowercase, without the trailing dot.
 */

import { BoundedMemo } from "../bounded-memo.js";

export const HEADER_LENGTH = 12;
/** Largest UDP payload answered (DNS flag day 2020): fits one Ethernet frame without fragmenting. */
export const MAX_UDP_PAYLOAD = 1232;
/** Budget for clients that send no EDNS OPT record (RFC 1035). */
export const CLASSIC_UDP_PAYLOAD = 512;
export const MAX_NAME_OCTETS = 255;
export const MAX_LABEL_OCTETS = 63;

export const CLASS_IN = 1;

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended RCODE 16: upper 8 bits (1) travel in the OPT TTL field, lower 4 bits (0) in the header. */
  BADVERS: 16,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([name, code]) => [code, name]));
const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([name, code]) => [code, name]));

/** Type mnemonic, or TYPEnnn (RFC 3597) for types without one. */
export function typeName(code: number): string {
  return TYPE_NAMES.get(code) ?? `TYPE${code}`;
}

export function typeCode(name: string): number | undefined {
  const known = (TYPE as Record<string, number>)[name];
  if (known !== undefined) return known;
  const m = /^TYPE([0-9]{1,5})$/.exec(name);
  return m && Number(m[1]) <= 0xffff ? Number(m[1]) : undefined;
}

export function rcodeName(code: number): string {
  return RCODE_NAMES.get(code) ?? `RCODE${code}`;
}

/** Header flag bits in the 16-bit flags word. */
export const FLAG = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  CD: 0x0010,
} as const;

/** Wire forms already computed: zone names repeat in every answer compiled for a Site. */
const wireForms = new BoundedMemo(8192, encodeWire);

/**
 * Absolute lowercase name ("" = root) → its uncompressed wire form as a latin1 string, one
 * character per octet. Labels are UTF-8 octets. Throws on an empty label, a label over 63 octets
 * or a name over 255 octets. The zone compiler calls this for every name of every answer, so the
 * common all-ASCII name is built from string slices without a Buffer, and results are memoised.
 */
export function wireString(name: string): string {
  return wireForms.get(name);
}

function encodeWire(name: string): string {
  if (name === "") return "\0";
  // Non-ASCII labels: measure and slice their UTF-8 octets instead of UTF-16 code units.
  const text = /[^\0-\x7f]/.test(name) ? Buffer.from(name, "utf8").toString("latin1") : name;
  let wire = "";
  let labelStart = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && text.charCodeAt(i) !== 0x2e) continue;
    const length = i - labelStart;
    if (length === 0 || length > MAX_LABEL_OCTETS) {
      const label = Buffer.from(text.slice(labelStart, i), "latin1").toString("utf8");
      throw new Error(`invalid DNS label "${label}" in "${name}"`);
    }
    wire += String.fromCharCode(length) + text.slice(labelStart, i);
    labelStart = i + 1;
  }
  wire += "\0";
  if (wire.length > MAX_NAME_OCTETS) throw new Error(`DNS name "${name}" is longer than 255 octets`);
  return wire;
}

/** Label sequence (uncompressed wire name) → presentation text without the trailing dot. */
export function wireToName(wire: Uint8Array, start = 0, end = wire.length): string {
  let text = "";
  let pos = start;
  while (pos < end) {
    const len = wire[pos]!;
    if (len === 0) break;
    if (text !== "") text += ".";
    for (let i = pos + 1; i <= pos + len && i < end; i++) {
      const c = wire[i]!;
      if (c === 0x2e || c === 0x5c) text += `\\${String.fromCharCode(c)}`;
      else if (c > 0x20 && c < 0x7f) text += String.fromCharCode(c);
      else text += `\\${String(c).padStart(3, "0")}`;
    }
    pos += len + 1;
  }
  return text;
}

/** ASCII-only lowercase (RFC 4343): octets outside A–Z are never folded. */
export function lowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/**
 * BOOTP/DHCP message codec (RFC 951, RFC 2131 §2). The fixed 236-byte header, the magic cookie and
 * the options area. Decoding never throws: every read is bounds-checked and a malformed message
 * comes back as `{ ok: false, error }`.
 */
import { decodeOptionsArea, type OptionsArea } from "./options-field.js";

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const HEADER_LENGTH = 236;
export const MAGIC_COOKIE = 0x63825363;
/** Header + cookie: where the options area starts. */
export const OPTIONS_OFFSET = HEADER_LENGTH + 4;
export const BROADCAST_FLAG = 0x8000;

export const SNAME_OFFSET = 44;
export const SNAME_LENGTH = 64;
export const FILE_OFFSET = 108;
export const FILE_LENGTH = 128;

export const DhcpMessageType = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;
export type DhcpMessageTypeCode = (typeof DhcpMessageType)[keyof typeof DhcpMessageType];

const TYPE_NAMES = [
  "",
  "DISCOVER",
  "OFFER",
  "REQUEST",
  "DECLINE",
  "ACK",
  "NAK",
  "RELEASE",
  "INFORM",
] as const;

export type MessageTypeName = Exclude<(typeof TYPE_NAMES)[number], "">;

export function messageTypeName(code: number): MessageTypeName | undefined {
  const name = TYPE_NAMES[code];
  return name === undefined || name === "" ? undefined : name;
}

/** The fixed header fields of a BOOTP message. Addresses are unsigned 32-bit integers. */
export interface BootpHeader {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: number;
  readonly yiaddr: number;
  readonly siaddr: number;
  readonly giaddr: number;
  /** All 16 bytes of the chaddr field. */
  readonly chaddr: Uint8Array;
}

export interface DhcpPacket extends BootpHeader {
  /** Options after RFC 3396 concatenation, in order of first appearance. */
  readonly options: ReadonlyMap<number, Uint8Array>;
  /** Which fields carried options (option 52). */
  readonly overload: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly packet: DhcpPacket }
  | { readonly ok: false; readonly error: string };

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function decodePacket(bytes: Uint8Array): DecodeResult {
  if (bytes.length < OPTIONS_OFFSET) {
    return {
      ok: false,
      error: `message too short: ${bytes.length} bytes, a DHCP message has at least ${OPTIONS_OFFSET}`,
    };
  }
  if (readU32(bytes, HEADER_LENGTH) !== MAGIC_COOKIE) {
    return { ok: false, error: "no DHCP magic cookie (plain BOOTP is not served)" };
  }
  const hlen = bytes[2]!;
  if (hlen > 16) return { ok: false, error: `hardware address length ${hlen} exceeds 16` };
  const area: OptionsArea = decodeOptionsArea(bytes, OPTIONS_OFFSET, FILE_OFFSET, SNAME_OFFSET);
  if (!area.ok) return { ok: false, error: area.error };
  return {
    ok: true,
    packet: {
      op: bytes[0]!,
      htype: bytes[1]!,
      hlen,
      hops: bytes[3]!,
      xid: readU32(bytes, 4),
      secs: (bytes[8]! << 8) | bytes[9]!,
      flags: (bytes[10]! << 8) | bytes[11]!,
      ciaddr: readU32(bytes, 12),
      yiaddr: readU32(bytes, 16),
      siaddr: readU32(bytes, 20),
      giaddr: readU32(bytes, 24),
      // A view, not a copy: a request is decoded once and answered from the same bytes.
      chaddr: bytes.subarray(28, 44),
      options: area.options,
      overload: area.overload,
    },
  };
}

/**
 * Messages are carved from shared zero-filled slabs: one ArrayBuffer for dozens of replies instead
 * of one each (a fresh ArrayBuffer costs an allocation outside the heap and the collector's
 * bookkeeping for it). A slab is never written twice, so every message starts zeroed.
 */
const SLAB_BYTES = 64 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function allocateMessage(length: number): Uint8Array {
  if (length > SLAB_BYTES / 4) return new Uint8Array(length);
  if (slabUsed + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, length);
  slabUsed += (length + 7) & ~7;
  return out;
}

/** Writes the fixed header and cookie into a zeroed buffer of `length` bytes (≥ OPTIONS_OFFSET). */
export function encodeHeader(header: BootpHeader, length: number): Uint8Array {
  const out = allocateMessage(Math.max(length, OPTIONS_OFFSET));
  out[0] = header.op;
  out[1] = header.htype;
  out[2] = Math.min(header.hlen, 16);
  out[3] = header.hops;
  writeU32(out, 4, header.xid);
  out[8] = (header.secs >>> 8) & 0xff;
  out[9] = header.secs & 0xff;
  out[10] = (header.flags >>> 8) & 0xff;
  out[11] = header.flags & 0xff;
  writeU32(out, 12, header.ciaddr);
  writeU32(out, 16, header.yiaddr);
  writeU32(out, 20, header.siaddr);
  writeU32(out, 24, header.giaddr);
  const chaddr = header.chaddr;
  for (let i = 0; i < 16 && i < chaddr.length; i++) out[28 + i] = chaddr[i]!;
  writeU32(out, HEADER_LENGTH, MAGIC_COOKIE);
  return out;
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/** The message type (option 53) of a decoded packet, or undefined for BOOTP / a bad value. */
export function messageTypeOf(packet: DhcpPacket): number | undefined {
  const data = packet.options.get(53);
  return data?.length === 1 ? data[0] : undefined;
}

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
  /** The raw sname/file fields (64 and 128 bytes), whether or not they were overloaded. */
  readonly sname: Uint8Array;
  readonly file: Uint8Array;
  /** Which fields carried options (option 52). */
  readonly overload: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly packet: DhcpPacket }
  | { readonly ok: false; readonly error: string };

export function decodePacket(bytes: Uint8Array): DecodeResult {
  if (bytes.length < OPTIONS_OFFSET) {
    return {
      ok: false,
      error: `message too short: ${bytes.length} bytes, a DHCP message has at least ${OPTIONS_OFFSET}`,
    };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(HEADER_LENGTH) !== MAGIC_COOKIE) {
    return { ok: false, error: "no DHCP magic cookie (plain BOOTP is not served)" };
  }
  const hlen = bytes[2]!;
  if (hlen > 16) return { ok: false, error: `hardware address length ${hlen} exceeds 16` };
  const area: OptionsArea = decodeOptionsArea(
    bytes.subarray(OPTIONS_OFFSET),
    bytes.subarray(FILE_OFFSET, FILE_OFFSET + FILE_LENGTH),
    bytes.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH),
  );
  if (!area.ok) return { ok: false, error: area.error };
  return {
    ok: true,
    packet: {
      op: bytes[0]!,
      htype: bytes[1]!,
      hlen,
      hops: bytes[3]!,
      xid: view.getUint32(4),
      secs: view.getUint16(8),
      flags: view.getUint16(10),
      ciaddr: view.getUint32(12),
      yiaddr: view.getUint32(16),
      siaddr: view.getUint32(20),
      giaddr: view.getUint32(24),
      // Views, not copies: a request is decoded once and answered from the same bytes.
      chaddr: bytes.subarray(28, 44),
      sname: bytes.subarray(SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH),
      file: bytes.subarray(FILE_OFFSET, FILE_OFFSET + FILE_LENGTH),
      options: area.options,
      overload: area.overload,
    },
  };
}

/** Writes the fixed header and cookie into a fresh buffer of `length` bytes (≥ OPTIONS_OFFSET). */
export function encodeHeader(header: BootpHeader, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(length, OPTIONS_OFFSET));
  const view = new DataView(out.buffer);
  out[0] = header.op;
  out[1] = header.htype;
  out[2] = Math.min(header.hlen, 16);
  out[3] = header.hops;
  view.setUint32(4, header.xid >>> 0);
  view.setUint16(8, header.secs & 0xffff);
  view.setUint16(10, header.flags & 0xffff);
  view.setUint32(12, header.ciaddr >>> 0);
  view.setUint32(16, header.yiaddr >>> 0);
  view.setUint32(20, header.siaddr >>> 0);
  view.setUint32(24, header.giaddr >>> 0);
  out.set(header.chaddr.subarray(0, 16), 28);
  view.setUint32(HEADER_LENGTH, MAGIC_COOKIE);
  return out;
}

/** The message type (option 53) of a decoded packet, or undefined for BOOTP / a bad value. */
export function messageTypeOf(packet: DhcpPacket): number | undefined {
  const data = packet.options.get(53);
  return data?.length === 1 ? data[0] : undefined;
}

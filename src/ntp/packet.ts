/**
 * The 48-byte NTP header (RFC 5905 §7.3) ⇄ a typed packet. Extension fields and a MAC may follow
 * the header; the decoder reports how many bytes trail it but does not interpret them.
 */
import { type NtpTimestamp, readTimestamp, readU32, writeU32 } from "./timestamp.js";

export const NTP_HEADER_LENGTH = 48;

export const NtpMode = {
  reserved: 0,
  symmetricActive: 1,
  symmetricPassive: 2,
  client: 3,
  server: 4,
  broadcast: 5,
  control: 6,
  private: 7,
} as const;

export type LeapIndicator = 0 | 1 | 2 | 3;

export interface NtpPacket {
  /** 0 no warning, 1 last minute has 61 s, 2 last minute has 59 s, 3 unsynchronised. */
  readonly leap: LeapIndicator;
  readonly version: number;
  readonly mode: number;
  /** As on the wire: 0 means unspecified/invalid (and KoD), 1 primary, 2–15 secondary. */
  readonly stratum: number;
  /** Signed log2 seconds. */
  readonly poll: number;
  /** Signed log2 seconds. */
  readonly precision: number;
  /** 16.16 fixed point, raw. */
  readonly rootDelay: number;
  /** 16.16 fixed point, raw. */
  readonly rootDispersion: number;
  /** Raw 32-bit reference ID (ASCII code when stratum ≤ 1, IPv4 address otherwise). */
  readonly referenceId: number;
  readonly referenceTimestamp: NtpTimestamp;
  readonly originTimestamp: NtpTimestamp;
  readonly receiveTimestamp: NtpTimestamp;
  readonly transmitTimestamp: NtpTimestamp;
  /** Bytes after the header (extension fields, MAC); not interpreted. */
  readonly trailingLength: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly packet: NtpPacket }
  | { readonly ok: false; readonly error: string };

/** Checks only what every NTP packet must satisfy; the responder applies its own gate on top. */
export function decodeNtpPacket(bytes: Uint8Array): DecodeResult {
  if (bytes.length < NTP_HEADER_LENGTH) {
    return { ok: false, error: `an NTP packet is at least ${NTP_HEADER_LENGTH} bytes, got ${bytes.length}` };
  }
  if (bytes.length % 4 !== 0) {
    return { ok: false, error: `an NTP packet is a multiple of 4 bytes long, got ${bytes.length}` };
  }
  const first = bytes[0]!;
  return {
    ok: true,
    packet: {
      leap: (first >>> 6) as LeapIndicator,
      version: (first >>> 3) & 7,
      mode: first & 7,
      stratum: bytes[1]!,
      poll: toInt8(bytes[2]!),
      precision: toInt8(bytes[3]!),
      rootDelay: readU32(bytes, 4),
      rootDispersion: readU32(bytes, 8),
      referenceId: readU32(bytes, 12),
      referenceTimestamp: readTimestamp(bytes, 16),
      originTimestamp: readTimestamp(bytes, 24),
      receiveTimestamp: readTimestamp(bytes, 32),
      transmitTimestamp: readTimestamp(bytes, 40),
      trailingLength: bytes.length - NTP_HEADER_LENGTH,
    },
  };
}

/** Encodes the 48-byte header (no extension fields or MAC). Out-of-range fields are masked. */
export function encodeNtpPacket(packet: Omit<NtpPacket, "trailingLength">): Uint8Array {
  const out = new Uint8Array(NTP_HEADER_LENGTH);
  out[0] = ((packet.leap & 3) << 6) | ((packet.version & 7) << 3) | (packet.mode & 7);
  out[1] = packet.stratum & 0xff;
  out[2] = packet.poll & 0xff;
  out[3] = packet.precision & 0xff;
  writeU32(out, 4, packet.rootDelay >>> 0);
  writeU32(out, 8, packet.rootDispersion >>> 0);
  writeU32(out, 12, packet.referenceId >>> 0);
  writeStamp(out, 16, packet.referenceTimestamp);
  writeStamp(out, 24, packet.originTimestamp);
  writeStamp(out, 32, packet.receiveTimestamp);
  writeStamp(out, 40, packet.transmitTimestamp);
  return out;
}

function writeStamp(out: Uint8Array, offset: number, ts: NtpTimestamp): void {
  writeU32(out, offset, ts.seconds >>> 0);
  writeU32(out, offset + 4, ts.fraction >>> 0);
}

function toInt8(byte: number): number {
  return byte > 127 ? byte - 256 : byte;
}

/**
 * Reference ID from configuration text: a dotted IPv4 address, or up to four ASCII characters
 * left-justified and zero-padded (RFC 5905 §7.3, e.g. "LOCL", "GPS").
 */
export function referenceIdFromText(text: string): number {
  const parts = text.split(".");
  if (parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) {
    return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
  }
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0;
    value = value * 256 + (code > 0x7e || code < 0 ? 0x3f : code);
  }
  return value;
}

/** Four ASCII characters of a reference ID (kiss codes, "LOCL"), NULs trimmed. */
export function referenceIdToText(id: number): string {
  let text = "";
  for (const shift of [24, 16, 8, 0]) {
    const c = (id >>> shift) & 0xff;
    if (c === 0) break;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : "?";
  }
  return text;
}

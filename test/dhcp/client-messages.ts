/**
 * Client-side DHCP messages for tests and load generators: what dhclient or a phone would send.
 */
import {
  BOOTREQUEST,
  type DhcpPacket,
  decodePacket,
  encodeHeader,
  OPTIONS_OFFSET,
} from "../../src/dhcp/packet.js";

export interface ClientMessage {
  type: number;
  mac: string;
  xid?: number;
  ciaddr?: number;
  giaddr?: number;
  flags?: number;
  /** Options in wire order (after 53). */
  options?: [number, Uint8Array][];
  htype?: number;
}

export function macBytes(mac: string): Uint8Array {
  const out = new Uint8Array(16);
  mac.split(":").forEach((part, i) => {
    out[i] = Number.parseInt(part, 16);
  });
  return out;
}

export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

export function buildClientMessage(message: ClientMessage): Uint8Array {
  const tlvs: number[] = [53, 1, message.type];
  for (const [code, data] of message.options ?? []) {
    for (let offset = 0; offset < Math.max(1, data.length); offset += 255) {
      const piece = data.subarray(offset, offset + 255);
      tlvs.push(code, piece.length, ...piece);
    }
  }
  tlvs.push(255);
  const bytes = encodeHeader(
    {
      op: BOOTREQUEST,
      htype: message.htype ?? 1,
      hlen: 6,
      hops: message.giaddr ? 1 : 0,
      xid: message.xid ?? 0x1234abcd,
      secs: 0,
      flags: message.flags ?? 0,
      ciaddr: message.ciaddr ?? 0,
      yiaddr: 0,
      siaddr: 0,
      giaddr: message.giaddr ?? 0,
      chaddr: macBytes(message.mac),
    },
    Math.max(300, OPTIONS_OFFSET + tlvs.length),
  );
  bytes.set(tlvs, OPTIONS_OFFSET);
  return bytes;
}

export function decodeReply(bytes: Uint8Array): DhcpPacket {
  const result = decodePacket(bytes);
  if (!result.ok) throw new Error(`reply does not decode: ${result.error}`);
  return result.packet;
}

/** The order of option codes in the options field, as written (pad/end skipped). */
export function optionOrder(bytes: Uint8Array): number[] {
  const codes: number[] = [];
  let i = OPTIONS_OFFSET;
  while (i < bytes.length) {
    const code = bytes[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    codes.push(code);
    i += 2 + bytes[i + 1]!;
  }
  return codes;
}

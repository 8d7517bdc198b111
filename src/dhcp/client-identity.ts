/**
 * Who a client is (RFC 2131 §4.2): the client identifier (option 61) when present, else the
 * hardware type with the hardware address.
 */
import { BoundedMemo } from "../bounded-memo.js";
import type { DhcpPacket } from "./packet.js";

export interface ClientIdentity {
  /** Lease key: "id:<hex of option 61>" or "hw:<htype>:<hex chaddr>". */
  readonly key: string;
  /** Lowercase colon form of chaddr (hlen bytes). */
  readonly mac: string;
  /** Option 61 as lowercase hex, when sent. */
  readonly clientId?: string;
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX_PAIRS[bytes[i]!];
  return out;
}

export function macText(chaddr: Uint8Array, hlen: number): string {
  const length = Math.min(hlen, 16, chaddr.length);
  let out = "";
  for (let i = 0; i < length; i++) out += i === 0 ? HEX_PAIRS[chaddr[i]!] : `:${HEX_PAIRS[chaddr[i]!]}`;
  return out;
}

/**
 * Ethernet clients without option 61 ask again and again (retransmissions, renewals): their
 * identity is made once per MAC, looked up by the MAC as a 48-bit number.
 */
const ethernetIdentities = new BoundedMemo(4096, (mac48: number): ClientIdentity => {
  const bytes = new Uint8Array(6);
  let rest = mac48;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return { key: `hw:1:${hex(bytes)}`, mac: macText(bytes, 6) };
});

export function clientIdentity(packet: DhcpPacket): ClientIdentity {
  const id = packet.options.get(61);
  const chaddr = packet.chaddr;
  if (id && id.length > 0) {
    const clientId = hex(id);
    return { key: `id:${clientId}`, mac: macText(chaddr, packet.hlen), clientId };
  }
  if (packet.htype === 1 && packet.hlen === 6) {
    const high = chaddr[0]! * 256 + chaddr[1]!;
    const low = ((chaddr[2]! << 24) | (chaddr[3]! << 16) | (chaddr[4]! << 8) | chaddr[5]!) >>> 0;
    return ethernetIdentities.get(high * 2 ** 32 + low);
  }
  return {
    key: `hw:${packet.htype}:${hex(chaddr.subarray(0, Math.min(packet.hlen, 16)))}`,
    mac: macText(chaddr, packet.hlen),
  };
}

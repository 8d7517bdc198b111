/**
 * Who a client is (RFC 2131 §4.2): the client identifier (option 61) when present, else the
 * hardware type with the hardware address.
 */
import type { DhcpPacket } from "./packet.js";

export interface ClientIdentity {
  /** Lease key: "id:<hex of option 61>" or "hw:<htype>:<hex chaddr>". */
  readonly key: string;
  /** Lowercase colon form of chaddr (hlen bytes). */
  readonly mac: string;
  /** Option 61 as lowercase hex, when sent. */
  readonly clientId?: string;
}

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function macText(chaddr: Uint8Array, hlen: number): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(hlen, 16, chaddr.length); i++)
    parts.push(chaddr[i]!.toString(16).padStart(2, "0"));
  return parts.join(":");
}

export function clientIdentity(packet: DhcpPacket): ClientIdentity {
  const mac = macText(packet.chaddr, packet.hlen);
  const id = packet.options.get(61);
  if (id && id.length > 0) {
    const clientId = hex(id);
    return { key: `id:${clientId}`, mac, clientId };
  }
  return { key: `hw:${packet.htype}:${hex(packet.chaddr.subarray(0, Math.min(packet.hlen, 16)))}`, mac };
}

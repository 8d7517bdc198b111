/**
 * Who a client is (RFC 2131 §4.2): the client identifier (option 61) when present, else the
 * hardware type with the hardware address. The one place that writes and compares client keys:
 * lease and offer keys are made here, and whether a stored key is a client's own is decided here.
 */
import { BoundedMemo } from "../bounded-memo.js";
import type { DhcpHost } from "../config/site.js";
import type { DhcpPacket } from "./packet.js";

export interface ClientIdentity {
  /**
   * "id:<hex of option 61>" or "hw:<htype>:<hex chaddr>": the lease key of a client without a
   * reservation (leaseKeyOf gives the key of any client).
   */
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
  return { key: hardwareKey(1, hex(bytes)), mac: macText(bytes, 6) };
});

function idKey(clientIdHex: string): string {
  return `id:${clientIdHex}`;
}

function hardwareKey(htype: number, chaddrHex: string): string {
  return `hw:${htype}:${chaddrHex}`;
}

/** The key of an Ethernet client that sends no option 61 ("00:04:f2:00:00:01" → "hw:1:0004f2000001"). */
export function ethernetKey(mac: string): string {
  return hardwareKey(1, mac.replaceAll(":", ""));
}

export function clientIdentity(packet: DhcpPacket): ClientIdentity {
  const id = packet.options.get(61);
  const chaddr = packet.chaddr;
  if (id && id.length > 0) {
    const clientId = hex(id);
    return { key: idKey(clientId), mac: macText(chaddr, packet.hlen), clientId };
  }
  if (packet.htype === 1 && packet.hlen === 6) {
    const high = chaddr[0]! * 256 + chaddr[1]!;
    const low = ((chaddr[2]! << 24) | (chaddr[3]! << 16) | (chaddr[4]! << 8) | chaddr[5]!) >>> 0;
    return ethernetIdentities.get(high * 2 ** 32 + low);
  }
  return {
    key: hardwareKey(packet.htype, hex(chaddr.subarray(0, Math.min(packet.hlen, 16)))),
    mac: macText(chaddr, packet.hlen),
  };
}

/**
 * The keys that name a reservation, the one its leases are written under first: its client-id
 * when it has one, else its MAC. A reservation by MAC belongs to the device with that MAC whatever
 * it sends as option 61 (01 + MAC, RFC 4361's ff + IAID + DUID, any bytes), so its leases are keyed
 * by the MAC: renewals, restarts and a new DUID all find the same lease. "id:01<mac>" is the key a
 * client sending 01 + MAC had before leases were keyed by reservation.
 */
const reservationKeys = new WeakMap<DhcpHost, readonly string[]>();

function keysOf(host: DhcpHost): readonly string[] {
  let keys = reservationKeys.get(host);
  if (keys === undefined) {
    const list: string[] = [];
    if (host.clientId !== undefined) list.push(idKey(host.clientId));
    if (host.mac !== undefined) list.push(ethernetKey(host.mac), idKey(`01${host.mac.replaceAll(":", "")}`));
    keys = list;
    reservationKeys.set(host, keys);
  }
  return keys;
}

/** The key this client's leases and offers are written under: its reservation's, else its own. */
export function leaseKeyOf(client: ClientIdentity, host: DhcpHost | undefined): string {
  return host === undefined ? client.key : (keysOf(host)[0] ?? client.key);
}

/** The key a reservation's leases are written under (undefined for one with neither MAC nor client-id). */
export function reservationKey(host: DhcpHost): string | undefined {
  return keysOf(host)[0];
}

/**
 * Whether a lease or offer stored under `key` is this client's: written under its own key, or
 * under a key of the reservation it matched.
 */
export function isOwnKey(key: string, client: ClientIdentity, host: DhcpHost | undefined): boolean {
  return key === client.key || (host !== undefined && keysOf(host).includes(key));
}

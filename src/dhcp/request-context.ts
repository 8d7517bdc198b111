/**
 * Everything known about a request before the core decides: who the client is, which subnet,
 * reservation and vendor class apply, and the address it asks for. Read once per request.
 */
import type { DhcpClass, DhcpHost, DhcpSubnet } from "../config/site.js";
import { type ClientFqdn, parseClientFqdn } from "./client-fqdn.js";
import { type ClientIdentity, clientIdentity, hex, leaseKeyOf } from "./client-identity.js";
import type { DhcpPacket } from "./packet.js";
import type { DhcpSiteIndex } from "./site-index.js";

/** Where a request came from. */
export interface Arrival {
  /** The interface the request came in on (the socket's device). */
  readonly interface: string;
}

/** One fixed shape (absent fields undefined). */
export interface RequestContext {
  readonly packet: DhcpPacket;
  readonly type: number;
  readonly client: ClientIdentity;
  /** What this client's leases and offers are stored under (its reservation's key when it has one). */
  readonly key: string;
  readonly arrival: Arrival;
  readonly now: number;
  readonly subnet: DhcpSubnet | undefined;
  readonly host: DhcpHost | undefined;
  readonly cls: DhcpClass | undefined;
  readonly vendorClass: string | undefined;
  /** Option 50, else ciaddr when set. */
  readonly requestedAddress: number | undefined;
  /** Option 81, parsed here once for the reply's option 81 and the lease's name. */
  readonly clientFqdn: ClientFqdn | undefined;
  /** The client's name for the lease record (see hostnameOf). */
  readonly hostname: string | undefined;
}

export function readRequest(
  packet: DhcpPacket,
  type: number,
  arrival: Arrival,
  now: number,
  index: DhcpSiteIndex,
): RequestContext {
  const client = clientIdentity(packet);
  const requestedAddress = requestedAddressOf(packet) ?? (packet.ciaddr !== 0 ? packet.ciaddr : undefined);
  const host = index.hostFor(client, packet);
  const vendorData = packet.options.get(60);
  const clientFqdn = parseClientFqdn(packet.options.get(81));
  return {
    packet,
    type,
    client,
    key: leaseKeyOf(client, host),
    arrival,
    now,
    subnet: index.subnetFor(packet, arrival.interface, requestedAddress),
    host,
    cls: vendorData ? index.classFor(vendorData) : undefined,
    vendorClass: vendorData ? printable(vendorData) : undefined,
    requestedAddress,
    clientFqdn,
    hostname: hostnameOf(packet, clientFqdn),
  };
}

/** Option 50 (requested IP address) when it is four octets. */
export function requestedAddressOf(packet: DhcpPacket): number | undefined {
  const data = packet.options.get(50);
  return data?.length === 4 ? readU32(data) : undefined;
}

/** Option 54 (server identifier): undefined when absent, null when not four octets. */
export function serverIdOf(packet: DhcpPacket): number | null | undefined {
  const data = packet.options.get(54);
  if (data === undefined) return undefined;
  return data.length === 4 ? readU32(data) : null;
}

function readU32(data: Uint8Array): number {
  return ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
}

/** Text of an option for logs and leases: printable ASCII as is (trailing NULs dropped), else hex. */
export function printable(data: Uint8Array): string {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  const body = data.subarray(0, end);
  for (const b of body) {
    if (b < 0x20 || b > 0x7e) return `0x${hex(data)}`;
  }
  return Buffer.from(body).toString("latin1");
}

/**
 * The client's name for the lease record: option 81's name (RFC 4702: the one meant for DNS) when
 * it has one, else option 12 when it is readable text.
 */
function hostnameOf(packet: DhcpPacket, fqdn: ClientFqdn | undefined): string | undefined {
  if (fqdn !== undefined && fqdn.name !== "") return fqdn.name;
  const data = packet.options.get(12);
  if (!data || data.length === 0) return undefined;
  const text = printable(data);
  return text.startsWith("0x") || text.length === 0 ? undefined : text;
}

/**
 * UDP sockets for the NTP service: one endpoint (src/net/udp-endpoint.ts) per bind address. On
 * the batched native edge requests arrive with the kernel's receive timestamp, and replies are
 * stamped once more just before the batch's single sendmmsg; on Node's dgram the same handler
 * serves one request at a time.
 */
import type { AddressInfo } from "node:net";
import { type DatagramHandler, openUdpEndpoint, type UdpEndpointOptions } from "../net/udp-endpoint.js";

/**
 * What the service does with datagrams: `datagram` gets one request (its `ageNanos` says how long
 * before beginBatch() the kernel received it, 0 when unknown) and returns the reply or null;
 * `beforeSend` writes the transmit timestamp as late as possible.
 */
export type NtpPacketHandler = Required<Pick<DatagramHandler, "beginBatch" | "beforeSend">> &
  Pick<DatagramHandler, "datagram">;

export interface UdpEndpoint {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  addressInfo(): AddressInfo;
  close(): Promise<void>;
}

export function endpointKey(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

const OPTIONS: UdpEndpointOptions = {
  // NTP packets are 48 bytes (plus extensions): 1 KiB slots; anything longer arrives cut and is
  // ignored by the responder for its length.
  slotBytes: 1024,
  dropTruncated: false,
  ipv6Only: true,
  // A deeper receive queue absorbs bursts (capped by net.core.rmem_max).
  receiveBufferBytes: 4 * 1024 * 1024,
  bindError,
};

/** Binds one socket; rejects with a message that says which address and port and what the error means. */
export async function openEndpoint(
  address: string,
  port: number,
  handler: NtpPacketHandler,
  onError: (error: Error) => void,
): Promise<UdpEndpoint> {
  const endpoint = await openUdpEndpoint(address, port, OPTIONS, handler, onError);
  return { key: endpointKey(address, port), ...endpoint };
}

export function closeEndpoint(endpoint: UdpEndpoint): Promise<void> {
  return endpoint.close();
}

export function bindError(address: string, port: number, error: NodeJS.ErrnoException): Error {
  const where = `ntp: cannot listen on udp ${endpointKey(address, port)}`;
  const meaning: Record<string, string> = {
    EADDRINUSE:
      "the port is already in use (another NTP server such as chronyd, ntpd or systemd-timesyncd may hold it)",
    EACCES: "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
    EPERM: "operation not permitted (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
    EADDRNOTAVAIL: "the address is not configured on any interface of this host",
    EAFNOSUPPORT: "this host does not support that address family",
    EINVAL: "the address is not usable for binding",
  };
  const code = error.code ?? "UNKNOWN";
  const wrapped = new Error(`${where}: ${meaning[code] ?? error.message} (${code})`, { cause: error });
  (wrapped as NodeJS.ErrnoException).code = code;
  return wrapped;
}

/**
 * UDP sockets for the NTP service: one per bind address. Sends go to literal IP addresses, so the
 * sockets get a synchronous `lookup` that skips `dns.lookup` and its extra tick (the single biggest
 * throughput win for a Node UDP server, see DESIGN "Performance notes").
 */

import dgram from "node:dgram";
import { lookup as dnsLookup } from "node:dns";
import { isIP } from "node:net";

export type MessageHandler = (message: Buffer, remote: dgram.RemoteInfo, socket: dgram.Socket) => void;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** Answers literal addresses at once; anything else goes to the resolver. */
export function literalLookup(hostname: string, options: unknown, callback?: LookupCallback): void {
  const cb = (typeof options === "function" ? options : callback) as LookupCallback;
  const family = isIP(hostname);
  if (family !== 0) {
    cb(null, hostname, family);
    return;
  }
  const opts = typeof options === "function" ? {} : options;
  dnsLookup(hostname, opts as never, cb as never);
}

export interface UdpEndpoint {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly socket: dgram.Socket;
}

export function endpointKey(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Binds one socket; rejects with a message that says which address and port and what the error means. */
export function openEndpoint(
  address: string,
  port: number,
  onMessage: MessageHandler,
  onError: (error: Error) => void,
): Promise<UdpEndpoint> {
  const type = isIP(address) === 6 ? "udp6" : "udp4";
  const socket = dgram.createSocket({ type, lookup: literalLookup as never, ipv6Only: type === "udp6" });
  return new Promise((resolve, reject) => {
    const failBind = (error: NodeJS.ErrnoException) => {
      socket.close();
      reject(bindError(address, port, error));
    };
    socket.once("error", failBind);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", failBind);
      socket.on("error", onError);
      socket.on("message", (message, remote) => onMessage(message, remote, socket));
      try {
        // A deeper receive queue absorbs bursts (capped by net.core.rmem_max).
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // Not fatal: the kernel default still works.
      }
      const bound = socket.address();
      resolve({ key: endpointKey(address, port), address: bound.address, port: bound.port, socket });
    });
  });
}

export function closeEndpoint(endpoint: UdpEndpoint): Promise<void> {
  return new Promise((resolve) => {
    try {
      endpoint.socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
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

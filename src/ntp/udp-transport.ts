/**
 * UDP sockets for the NTP service: one per bind address. By default the batched native edge
 * (src/net/udp-batch.ts): requests arrive in batches with the kernel's receive timestamp, replies
 * are stamped once more just before the batch's single sendmmsg. Without it (not built, or
 * SITEBOOT_UDP_EDGE=dgram) Node's dgram serves; sends go to literal IP addresses, so those sockets
 * get a synchronous `lookup` that skips `dns.lookup` and its extra tick (see DESIGN "Performance notes").
 */

import dgram from "node:dgram";
import { lookup as dnsLookup } from "node:dns";
import { type AddressInfo, isIP } from "node:net";
import { closeDgram } from "../net/close-dgram.js";
import { UdpBatchSocket, useUdpBatch } from "../net/udp-batch.js";

/** What the service does with datagrams; the transport only moves bytes. */
export interface NtpPacketHandler {
  /** Called before the requests of one receive (a batch, or a single dgram message). */
  beginBatch(): void;
  /**
   * One request. `ageNanos`: how long before beginBatch() the kernel received it (0 when
   * unknown, on the dgram edge). Returns the reply to send back, or null.
   */
  request(message: Buffer, address: string, port: number, ageNanos: number): Uint8Array | null;
  /** Last touch of a reply right before it is handed to the socket (a later transmit timestamp). */
  stamp(reply: Uint8Array): void;
}

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
  addressInfo(): AddressInfo;
  close(): Promise<void>;
}

export function endpointKey(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A deeper receive queue absorbs bursts (capped by net.core.rmem_max). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Binds one socket; rejects with a message that says which address and port and what the error means. */
export function openEndpoint(
  address: string,
  port: number,
  handler: NtpPacketHandler,
  onError: (error: Error) => void,
): Promise<UdpEndpoint> {
  if (useUdpBatch()) return openBatchEndpoint(address, port, handler, onError);
  return openDgramEndpoint(address, port, handler, onError);
}

function openBatchEndpoint(
  address: string,
  port: number,
  handler: NtpPacketHandler,
  onError: (error: Error) => void,
): Promise<UdpEndpoint> {
  const onBatch = (batch: UdpBatchSocket): void => {
    handler.beginBatch();
    const count = batch.count;
    for (let i = 0; i < count; i++) {
      const sourcePort = batch.sourcePort(i);
      if (sourcePort === 0) continue;
      const address = batch.sourceAddress(i);
      const reply = handler.request(batch.payload(i), address, sourcePort, batch.ageNanos(i));
      if (reply !== null && !batch.reply(i, reply)) {
        handler.stamp(reply);
        batch.sendTo(reply, address, sourcePort);
      }
    }
    // Transmit timestamps as late as possible: right before the one sendmmsg.
    for (let k = 0; k < batch.staged; k++) handler.stamp(batch.stagedReply(k));
    batch.flush();
  };
  let socket: UdpBatchSocket;
  try {
    socket = UdpBatchSocket.open(
      address,
      port,
      // NTP packets are 48 bytes (plus extensions): 1 KiB slots; anything longer arrives cut and is ignored by length.
      { slots: 64, slotBytes: 1024, receiveBufferBytes: RECEIVE_BUFFER_BYTES, ipv6Only: true },
      onBatch,
      onError,
    );
  } catch (error) {
    return Promise.reject(bindError(address, port, error as NodeJS.ErrnoException));
  }
  return Promise.resolve({
    key: endpointKey(address, port),
    address: socket.address,
    port: socket.port,
    addressInfo: () => socket.addressInfo(),
    close: () => {
      socket.close();
      return Promise.resolve();
    },
  });
}

function openDgramEndpoint(
  address: string,
  port: number,
  handler: NtpPacketHandler,
  onError: (error: Error) => void,
): Promise<UdpEndpoint> {
  const type = isIP(address) === 6 ? "udp6" : "udp4";
  const socket = dgram.createSocket({ type, lookup: literalLookup as never, ipv6Only: type === "udp6" });
  const onMessage = (message: Buffer, remote: dgram.RemoteInfo) => {
    handler.beginBatch();
    const reply = handler.request(message, remote.address, remote.port, 0);
    if (reply === null) return;
    try {
      socket.send(reply, remote.port, remote.address);
    } catch {
      // Socket closing during stop/reload: the request is simply not answered.
    }
  };
  return new Promise((resolve, reject) => {
    const failBind = (error: NodeJS.ErrnoException) => {
      socket.close();
      reject(bindError(address, port, error));
    };
    socket.once("error", failBind);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", failBind);
      socket.on("error", onError);
      socket.on("message", onMessage);
      try {
        socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
      } catch {
        // Not fatal: the kernel default still works.
      }
      const bound = socket.address();
      resolve({
        key: endpointKey(address, port),
        address: bound.address,
        port: bound.port,
        addressInfo: () => socket.address(),
        close: () => closeDgram(socket),
      });
    });
  });
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

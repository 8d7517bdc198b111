/**
 * One UDP endpoint for a request/reply protocol (DNS, NTP): a socket bound to one address, on the
 * batched native edge (src/net/udp-batch.ts) or, without it, on Node's dgram. The protocol gives a
 * DatagramHandler; the endpoint moves bytes, answers each datagram's sender and reports errors.
 *
 * A datagram whose handler throws is reported and left unanswered; the rest of its batch is still
 * handled, and replies already staged still leave in the batch's sendmmsg.
 */
import dgram from "node:dgram";
import { lookup as dnsLookup } from "node:dns";
import { type AddressInfo, isIP } from "node:net";
import { closeDgram } from "./close-dgram.js";
import { UdpBatchSocket, useUdpBatch } from "./udp-batch.js";

/** A reply now, one completed later (sent when it settles), or none. */
export type DatagramReply = Uint8Array | Promise<Uint8Array | null> | null;

/** What a protocol does with datagrams; the endpoint only moves bytes. */
export interface DatagramHandler {
  /** Called before the datagrams of one receive (a batch, or a single dgram message). */
  beginBatch?(): void;
  /**
   * One datagram, `index` in its batch (always 0 on dgram). `ageNanos`: how long before
   * beginBatch() the kernel received it (0 when unknown, on the dgram edge). The payload is valid
   * only until the call returns.
   */
  datagram(payload: Buffer, address: string, port: number, ageNanos: number, index: number): DatagramReply;
  /** Last touch of a reply right before it is handed to the socket (a later transmit timestamp). */
  beforeSend?(reply: Uint8Array): void;
  /**
   * The reply to datagram `index` of the batch just handled was handed to the socket, `micros`
   * after the datagram arrived (kernel receive time on the batched edge). Not called for replies
   * completed later.
   */
  sent?(index: number, micros: number): void;
}

export interface UdpEndpointOptions {
  /** Bytes per batch slot; longer datagrams arrive cut. */
  readonly slotBytes: number;
  /** Drop datagrams that arrived cut instead of handing them to the handler. */
  readonly dropTruncated: boolean;
  /** IPV6_V6ONLY for an IPv6 address (false: also IPv4-mapped clients). */
  readonly ipv6Only: boolean;
  /** SO_RCVBUF request (0: the kernel's default). */
  readonly receiveBufferBytes: number;
  /** The protocol's own words for a failed bind (which service, what the error code means). */
  bindError(address: string, port: number, error: NodeJS.ErrnoException): Error;
}

export interface UdpEndpoint {
  /** The address it was asked to bind and the port it got (port 0 resolved). */
  readonly address: string;
  readonly port: number;
  addressInfo(): AddressInfo;
  close(): Promise<void>;
}

type Report = (error: unknown) => void;

/** Opens the socket on one of the two edges. */
type OpenEdge = (
  address: string,
  port: number,
  options: UdpEndpointOptions,
  handler: DatagramHandler,
  report: Report,
) => Promise<UdpEndpoint>;

/** Datagrams per recvmmsg/sendmmsg on the batched edge. */
const SLOTS = 64;

/** Binds one socket; rejects with the protocol's bind error. */
export function openUdpEndpoint(
  address: string,
  port: number,
  options: UdpEndpointOptions,
  handler: DatagramHandler,
  onError: (error: Error) => void,
): Promise<UdpEndpoint> {
  const report = guarded(onError);
  if (useUdpBatch()) return openBatchEndpoint(address, port, options, handler, report);
  return openDgramEndpoint(address, port, options, handler, report);
}

const openBatchEndpoint: OpenEdge = (address, port, options, handler, report) => {
  let socket: UdpBatchSocket;
  const sendLater = laterSender(
    handler,
    report,
    () => socket.closed,
    (reply, to, toPort) => socket.sendTo(reply, to, toPort),
  );
  // Datagrams of the batch answered at once, for `sent` after the sendmmsg.
  const answered: number[] = [];
  const onBatch = (batch: UdpBatchSocket): void => {
    answered.length = 0;
    try {
      handler.beginBatch?.();
    } catch (error) {
      report(error);
      return;
    }
    const count = batch.count;
    for (let i = 0; i < count; i++) {
      const sourcePort = batch.sourcePort(i);
      // Source port 0 is never a real client.
      if (sourcePort === 0 || (options.dropTruncated && batch.truncated(i))) continue;
      try {
        const source = batch.sourceAddress(i);
        const reply = handler.datagram(batch.payload(i), source, sourcePort, batch.ageNanos(i), i);
        if (reply === null) continue;
        if (reply instanceof Promise) {
          reply.then(sendLater(source, sourcePort), report);
          continue;
        }
        if (!batch.reply(i, reply)) {
          handler.beforeSend?.(reply);
          batch.sendTo(reply, source, sourcePort);
        }
        answered.push(i);
      } catch (error) {
        report(error);
      }
    }
    if (handler.beforeSend) {
      // As late as possible: right before the one sendmmsg.
      for (let k = 0; k < batch.staged; k++) {
        try {
          handler.beforeSend(batch.stagedReply(k));
        } catch (error) {
          report(error);
        }
      }
    }
    batch.flush();
    if (handler.sent) {
      for (const i of answered) {
        try {
          handler.sent(i, batch.nanosToLastSend(i) / 1000);
        } catch (error) {
          report(error);
        }
      }
    }
  };
  try {
    socket = UdpBatchSocket.open(
      address,
      port,
      {
        slots: SLOTS,
        slotBytes: options.slotBytes,
        receiveBufferBytes: options.receiveBufferBytes,
        ipv6Only: options.ipv6Only,
      },
      onBatch,
      report,
    );
  } catch (error) {
    return Promise.reject(options.bindError(address, port, error as NodeJS.ErrnoException));
  }
  return Promise.resolve({
    address,
    port: socket.port,
    addressInfo: () => socket.addressInfo(),
    close: () => {
      socket.close();
      return Promise.resolve();
    },
  });
};

const openDgramEndpoint: OpenEdge = (address, port, options, handler, report) => {
  const type = isIP(address) === 6 ? "udp6" : "udp4";
  const socket = dgram.createSocket({
    type,
    lookup: literalLookup as never,
    ...(type === "udp6" ? { ipv6Only: options.ipv6Only } : {}),
  });
  let closed = false;
  const sendLater = laterSender(
    handler,
    report,
    () => closed,
    (reply, to, toPort) => socket.send(reply, toPort, to),
  );
  const onMessage = (message: Buffer, remote: dgram.RemoteInfo) => {
    if (remote.port === 0) return;
    const start = handler.sent ? process.hrtime.bigint() : 0n;
    try {
      handler.beginBatch?.();
      const reply = handler.datagram(message, remote.address, remote.port, 0, 0);
      if (reply === null) return;
      if (reply instanceof Promise) {
        reply.then(sendLater(remote.address, remote.port), report);
        return;
      }
      handler.beforeSend?.(reply);
      socket.send(reply, remote.port, remote.address);
      handler.sent?.(0, Number(process.hrtime.bigint() - start) / 1000);
    } catch (error) {
      report(error);
    }
  };
  return new Promise((resolve, reject) => {
    const failBind = (error: NodeJS.ErrnoException) => {
      void closeDgram(socket);
      reject(options.bindError(address, port, error));
    };
    socket.once("error", failBind);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", failBind);
      // After binding, socket errors (e.g. a send refused by the kernel) are reported, never fatal.
      socket.on("error", report);
      socket.on("message", onMessage);
      if (options.receiveBufferBytes > 0) {
        try {
          socket.setRecvBufferSize(options.receiveBufferBytes);
        } catch {
          // Not fatal: the kernel default still works.
        }
      }
      resolve({
        address,
        port: socket.address().port,
        addressInfo: () => socket.address(),
        close: () => {
          closed = true;
          return closeDgram(socket);
        },
      });
    });
  });
};

/**
 * Sends a reply completed after its batch (a forwarded DNS answer) when it settles, unless the
 * socket was closed meanwhile (a stop or a rebind): that reply is simply not sent.
 */
function laterSender(
  handler: DatagramHandler,
  report: Report,
  closed: () => boolean,
  sendTo: (reply: Uint8Array, to: string, toPort: number) => void,
): (to: string, toPort: number) => (reply: Uint8Array | null) => void {
  return (to, toPort) => (reply) => {
    if (!reply || closed()) return;
    try {
      handler.beforeSend?.(reply);
      sendTo(reply, to, toPort);
    } catch (error) {
      report(error);
    }
  };
}

/** Reports an error without letting a failing reporter escape into the socket's callback. */
function guarded(onError: (error: Error) => void): Report {
  return (error) => {
    try {
      onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // The reporter itself failed (e.g. its event sink): nothing more can be said.
    }
  };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * Replies go to literal addresses: answered at once, so a send skips dns.lookup and its extra
 * tick. Anything else goes to the resolver.
 */
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

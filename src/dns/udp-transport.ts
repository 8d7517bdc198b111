/**
 * UDP edge: one socket per bound address. Datagrams from source port 0 are dropped before any
 * parsing; replies go back to the sender. By default the batched native edge (src/net/udp-batch.ts)
 * reads up to 64 queries per system call and sends the batch's answers with one sendmmsg; without
 * it (not built, or SITEBOOT_UDP_EDGE=dgram) Node's dgram serves, with a synchronous lookup for
 * literal addresses so send() skips dns.lookup and a nextTick per packet.
 */
import dgram from "node:dgram";
import net, { type AddressInfo } from "node:net";
import { closeDgram } from "../net/close-dgram.js";
import { UdpBatchSocket, useUdpBatch } from "../net/udp-batch.js";
import type { AnswerResult } from "./engine.js";
import { literalLookup } from "./forwarder.js";

export interface MutableClient {
  address: string;
  port: number;
  readonly transport: "udp" | "tcp";
}

export type QueryHandler = (query: Buffer, client: MutableClient) => AnswerResult;

export function bindError(proto: "UDP" | "TCP", address: string, port: number, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `DNS could not listen on ${proto} ${address}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return new Error(
        `${where}: the address is already in use (another DNS server, such as systemd-resolved or dnsmasq, is listening there; stop it or choose another listen.bind / listen.ports.dns)`,
      );
    case "EACCES":
      return new Error(
        `${where}: permission denied (ports below 1024 need root or the CAP_NET_BIND_SERVICE capability)`,
      );
    case "EADDRNOTAVAIL":
      return new Error(`${where}: the address is not assigned to any interface of this host`);
    default:
      return new Error(`${where}: ${(error as Error).message}`);
  }
}

/** A bound UDP listener, on either edge. */
export interface UdpListener {
  address(): AddressInfo;
  close(): Promise<void>;
}

/**
 * Called once per query answered at once, after its reply was handed to the socket, with the
 * microseconds since receipt (kernel receive time on the batched edge). Answers that complete
 * later (forwarded) are not reported.
 */
export type AnsweredHook = (micros: number) => void;

export function openUdp(
  address: string,
  port: number,
  handle: QueryHandler,
  onError: (error: Error) => void,
  onAnswered?: AnsweredHook,
): Promise<UdpListener> {
  if (useUdpBatch()) return openBatchUdp(address, port, handle, onError, onAnswered);
  return openDgramUdp(address, port, handle, onError, onAnswered);
}

function openBatchUdp(
  address: string,
  port: number,
  handle: QueryHandler,
  onError: (error: Error) => void,
  onAnswered: AnsweredHook | undefined,
): Promise<UdpListener> {
  const client: MutableClient = { address: "", port: 0, transport: "udp" };
  let socket: UdpBatchSocket;
  const sendLater = (port: number, address: string) => (reply: Buffer | null) => {
    if (!reply || socket.closed) return;
    try {
      socket.sendTo(reply, address, port);
    } catch (error) {
      onError(error as Error);
    }
  };
  // Which datagrams of the batch were answered at once, for the micros hook after the flush.
  const answered: number[] = [];
  const onBatch = (batch: UdpBatchSocket): void => {
    const count = batch.count;
    answered.length = 0;
    for (let i = 0; i < count; i++) {
      const sourcePort = batch.sourcePort(i);
      // Source port 0 is never a real client; a cut datagram is not a query we can parse.
      if (sourcePort === 0 || batch.truncated(i)) continue;
      client.address = batch.sourceAddress(i);
      client.port = sourcePort;
      const reply = handle(batch.payload(i), client);
      if (reply === null) continue;
      if (reply instanceof Promise) {
        reply.then(sendLater(sourcePort, client.address), onError);
        continue;
      }
      if (!batch.reply(i, reply)) {
        try {
          batch.sendTo(reply, client.address, sourcePort);
        } catch (error) {
          onError(error as Error);
        }
      }
      if (onAnswered) answered.push(i);
    }
    batch.flush();
    if (onAnswered) for (const i of answered) onAnswered(batch.nanosToLastSend(i) / 1000);
  };
  try {
    socket = UdpBatchSocket.open(
      address,
      port,
      { slots: 64, slotBytes: 4096, ipv6Only: false },
      onBatch,
      onError,
    );
  } catch (error) {
    return Promise.reject(bindError("UDP", address, port, error));
  }
  return Promise.resolve({
    address: () => socket.addressInfo(),
    close: () => {
      socket.close();
      return Promise.resolve();
    },
  });
}

function openDgramUdp(
  address: string,
  port: number,
  handle: QueryHandler,
  onError: (error: Error) => void,
  onAnswered: AnsweredHook | undefined,
): Promise<UdpListener> {
  const family = net.isIPv6(address) ? 6 : 4;
  const socket = dgram.createSocket({ type: family === 6 ? "udp6" : "udp4", lookup: literalLookup(family) });
  // One client object per socket, refilled per datagram: the engine reads it synchronously only.
  const client: MutableClient = { address: "", port: 0, transport: "udp" };
  const sendLater = (port: number, address: string) => (reply: Buffer | null) => {
    if (reply) socket.send(reply, port, address);
  };
  socket.on("message", (msg, rinfo) => {
    if (rinfo.port === 0) return;
    const start = onAnswered ? process.hrtime.bigint() : 0n;
    client.address = rinfo.address;
    client.port = rinfo.port;
    const reply = handle(msg, client);
    if (reply === null) return;
    if (reply instanceof Promise) reply.then(sendLater(rinfo.port, rinfo.address), onError);
    else {
      socket.send(reply, rinfo.port, rinfo.address);
      if (onAnswered) onAnswered(Number(process.hrtime.bigint() - start) / 1000);
    }
  });
  return new Promise((resolve, reject) => {
    const failBind = (error: Error) => reject(bindError("UDP", address, port, error));
    socket.once("error", failBind);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", failBind);
      // After binding, socket errors (e.g. a send refused by the kernel) are reported, never fatal.
      socket.on("error", onError);
      resolve({
        address: () => socket.address(),
        close: () => closeDgram(socket),
      });
    });
  });
}

export function closeUdp(listener: UdpListener): Promise<void> {
  return listener.close();
}

/**
 * DNS over UDP: one endpoint (src/net/udp-endpoint.ts) per bound address. Datagrams from source
 * port 0, and those longer than a 4 KiB slot (no query a client sends over UDP is), are dropped
 * before any parsing; replies go back to the sender, forwarded ones when they complete.
 */
import type { AddressInfo } from "node:net";
import { type DatagramHandler, openUdpEndpoint, type UdpEndpointOptions } from "../net/udp-endpoint.js";
import type { AnswerResult } from "./engine.js";

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

/** What the service does with the UDP queries of one receive (a batch, or one dgram message). */
export interface UdpQueries {
  /** A new batch starts: what was held for the previous one is void. */
  beginBatch?(): void;
  /** Query `index` of the batch; `client` is refilled per query and read synchronously only. */
  answer(query: Buffer, client: MutableClient, index: number): AnswerResult;
  /**
   * The reply to query `index`, answered at once, is on the socket `micros` after the query
   * arrived (kernel receive time on the batched edge). Forwarded answers are not reported.
   */
  sent?(index: number, micros: number): void;
}

const OPTIONS: UdpEndpointOptions = {
  slotBytes: 4096,
  dropTruncated: true,
  // Dual-stack on "::", as Node's dgram sockets are by default.
  ipv6Only: false,
  // A subnet of phones rebooting at once sends hundreds of queries in the same instant; the
  // kernel's default queue (~200 KiB, a few hundred datagrams) drops part of that burst and each
  // dropped phone waits its resolver's retry timeout. Capped by net.core.rmem_max.
  receiveBufferBytes: 1024 * 1024,
  bindError: (address, port, error) => bindError("UDP", address, port, error),
};

export async function openUdp(
  address: string,
  port: number,
  queries: UdpQueries,
  onError: (error: Error) => void,
): Promise<UdpListener> {
  // One client object per socket, refilled per datagram: the engine reads it synchronously only.
  const client: MutableClient = { address: "", port: 0, transport: "udp" };
  const handler: DatagramHandler = {
    datagram(payload, from, fromPort, _ageNanos, index) {
      client.address = from;
      client.port = fromPort;
      return queries.answer(payload, client, index);
    },
  };
  // Only what the service uses: without `sent` the endpoint does not time the replies.
  if (queries.beginBatch) handler.beginBatch = queries.beginBatch;
  if (queries.sent) handler.sent = queries.sent;
  const endpoint = await openUdpEndpoint(address, port, OPTIONS, handler, onError);
  return { address: () => endpoint.addressInfo(), close: () => endpoint.close() };
}

export function closeUdp(listener: UdpListener): Promise<void> {
  return listener.close();
}

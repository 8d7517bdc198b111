/**
 * UDP edge: one socket per bound address. Datagrams from source port 0 are dropped before any
 * parsing; replies go back to the sender. Sockets get a synchronous lookup for literal addresses so
 * send() skips dns.lookup and a nextTick per packet.
 */
import dgram from "node:dgram";
import net from "node:net";
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

export function openUdp(
  address: string,
  port: number,
  handle: QueryHandler,
  onError: (error: Error) => void,
): Promise<dgram.Socket> {
  const family = net.isIPv6(address) ? 6 : 4;
  const socket = dgram.createSocket({ type: family === 6 ? "udp6" : "udp4", lookup: literalLookup(family) });
  // One client object per socket, refilled per datagram: the engine reads it synchronously only.
  const client: MutableClient = { address: "", port: 0, transport: "udp" };
  const sendLater = (port: number, address: string) => (reply: Buffer | null) => {
    if (reply) socket.send(reply, port, address);
  };
  socket.on("message", (msg, rinfo) => {
    if (rinfo.port === 0) return;
    client.address = rinfo.address;
    client.port = rinfo.port;
    const reply = handle(msg, client);
    if (reply === null) return;
    if (reply instanceof Promise) reply.then(sendLater(rinfo.port, rinfo.address), onError);
    else socket.send(reply, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    const failBind = (error: Error) => reject(bindError("UDP", address, port, error));
    socket.once("error", failBind);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", failBind);
      // After binding, socket errors (e.g. a send refused by the kernel) are reported, never fatal.
      socket.on("error", onError);
      resolve(socket);
    });
  });
}

export function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

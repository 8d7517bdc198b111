/**
 * TCP edge (RFC 7766): 2-octet length framing across partial reads, several and pipelined queries
 * per connection (forwarded answers may come back out of order, as the RFC allows), an idle
 * timeout, a cap on connections, and caps on what one connection may hold: bytes buffered, queries
 * in flight and unsent reply bytes. A bad frame closes that connection only.
 */
import net from "node:net";
import type { MutableClient, QueryHandler } from "./udp-transport.js";
import { bindError } from "./udp-transport.js";
import { HEADER_LENGTH } from "./wire.js";

export interface TcpSettings {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

/** Per-connection limits. */
export const MAX_PENDING_QUERIES = 32;
export const MAX_UNSENT_BYTES = 256 * 1024;

export interface TcpListener {
  readonly server: net.Server;
  readonly connections: Set<net.Socket>;
}

export function openTcp(
  address: string,
  port: number,
  settings: () => TcpSettings,
  handle: QueryHandler,
  onError: (error: Error) => void,
): Promise<TcpListener> {
  const connections = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    serveConnection(socket, settings(), handle, onError);
  });
  server.maxConnections = settings().maxConnections;
  return new Promise((resolve, reject) => {
    const failBind = (error: Error) => reject(bindError("TCP", address, port, error));
    server.once("error", failBind);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off("error", failBind);
      server.on("error", onError);
      resolve({ server, connections });
    });
  });
}

function serveConnection(
  socket: net.Socket,
  settings: TcpSettings,
  handle: QueryHandler,
  onError: (e: Error) => void,
) {
  const client: MutableClient = {
    address: socket.remoteAddress ?? "",
    port: socket.remotePort ?? 0,
    transport: "tcp",
  };
  let pending: Buffer | undefined;
  let inFlight = 0;
  socket.setTimeout(settings.idleTimeoutMs, () => socket.destroy());
  socket.on("error", () => socket.destroy());

  const send = (reply: Buffer) => {
    if (socket.destroyed) return;
    if (socket.writableLength > MAX_UNSENT_BYTES) {
      // The client does not read its answers: drop it rather than buffer without bound.
      socket.destroy();
      return;
    }
    const frame = Buffer.allocUnsafe(2 + reply.length);
    frame.writeUInt16BE(reply.length, 0);
    reply.copy(frame, 2);
    socket.write(frame);
  };

  const onQuery = (query: Buffer): boolean => {
    if (query.length < HEADER_LENGTH) return false;
    const reply = handle(query, client);
    if (reply === null) return false; // a response or junk sent to a server: the stream is not DNS
    if (!(reply instanceof Promise)) {
      send(reply);
      return true;
    }
    if (++inFlight > MAX_PENDING_QUERIES) return false;
    reply.then(
      (r) => {
        inFlight--;
        if (r) send(r);
        else socket.destroy();
      },
      (error: unknown) => {
        inFlight--;
        onError(error instanceof Error ? error : new Error(String(error)));
        socket.destroy();
      },
    );
    return true;
  };

  socket.on("data", (chunk: Buffer) => {
    let data = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    let at = 0;
    while (data.length - at >= 2) {
      const length = data.readUInt16BE(at);
      if (data.length - at - 2 < length) break;
      // Copy: the engine may keep the query across an await (forwarding).
      const query = Buffer.from(data.subarray(at + 2, at + 2 + length));
      at += 2 + length;
      if (!onQuery(query)) {
        socket.destroy();
        return;
      }
    }
    if (at < data.length) {
      data = data.subarray(at);
      // At most one incomplete frame (≤ 2 + 65535 octets) is ever held.
      pending = Buffer.from(data);
    }
  });
}

export function closeTcp(listener: TcpListener): Promise<void> {
  for (const socket of listener.connections) socket.destroy();
  return new Promise((resolve) => listener.server.close(() => resolve()));
}

/**
 * DHCP sockets: one UDP socket per served interface, bound to that device (SO_BINDTODEVICE) on
 * 0.0.0.0:67, through the batched UDP edge (native/udp_batch.c). A device-bound socket receives
 * only its own LAN's broadcasts, so the interface a request came in on is known, and its replies
 * to 255.255.255.255 leave by that same interface even when the default route points elsewhere.
 * Requests are read with recvmmsg, a batch per JavaScript callback: Node's dgram makes a callback,
 * an address object and a microtask checkpoint per datagram, and under load that was a tenth of
 * the main thread. Replies leave one at a time with sendto(): an ACK goes only once its lease is
 * durable, which is after the batch that brought its REQUEST.
 */
import { UdpBatchSocket } from "../net/udp-batch.js";

/** One served interface's socket, as the DHCP service uses it. */
export interface InterfaceSocket {
  /** Sends one datagram and calls `done` with the error, if any; never throws. */
  send(bytes: Uint8Array, address: string, port: number, done: (error: Error | undefined) => void): void;
  close(): void;
}

/** The requests of one read, in arrival order, each a copy of its own. */
export type DatagramHandler = (batch: Buffer[], iface: string) => void;
export type ErrorHandler = (iface: string, error: Error) => void;
export type SocketOpener = (
  iface: string,
  port: number,
  onDatagrams: (batch: Buffer[]) => void,
  onError: (error: Error) => void,
) => InterfaceSocket;

/**
 * Receive queue per socket (the kernel doubles it for its bookkeeping): a few hundred requests,
 * some 20–40 ms of work at full load, plenty for a room of phones booting at once. A deeper queue
 * only makes the server answer requests that waited there: with perfdhcp at 6 000 and 9 000
 * offered/s, 1 MiB completed fewer exchanges than this in each of 7 alternating pairs (1–21 % fewer).
 * Requests above net.core.rmem_max are capped by the kernel.
 */
export const RECEIVE_BUFFER_BYTES = Number(process.env.SITEBOOT_DHCP_RCVBUF ?? 208 * 1024);

/** Datagrams per recvmmsg, and the longest request read whole (longer ones are dropped). */
const BATCH_SLOTS = 64;
const SLOT_BYTES = 4096;

/** Opens a device-bound socket: the production path. Throws with the interface named. */
export function openDeviceSocket(
  iface: string,
  port: number,
  onDatagrams: (batch: Buffer[]) => void,
  onError: (error: Error) => void,
): InterfaceSocket {
  let edge: UdpBatchSocket;
  try {
    edge = UdpBatchSocket.open(
      "0.0.0.0",
      port,
      {
        slots: BATCH_SLOTS,
        slotBytes: SLOT_BYTES,
        receiveBufferBytes: RECEIVE_BUFFER_BYTES,
        // Several device-bound sockets share port 67, one per interface.
        reuseAddress: true,
        device: iface,
        broadcast: true,
        timestamps: false,
      },
      (batch) => {
        const requests: Buffer[] = [];
        for (let i = 0; i < batch.count; i++) {
          if (batch.truncated(i)) {
            onError(new Error(`a request longer than ${SLOT_BYTES} bytes was dropped`));
            continue;
          }
          // The batch's memory is reused by the next one; the core keeps views into a request.
          const view = batch.payload(i);
          const bytes = Buffer.allocUnsafe(view.length);
          view.copy(bytes);
          requests.push(bytes);
        }
        if (requests.length > 0) onDatagrams(requests);
      },
      onError,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === "EPERM" || code === "EACCES"
        ? " (needs CAP_NET_RAW for SO_BINDTODEVICE and CAP_NET_BIND_SERVICE for port 67)"
        : "";
    const wrapped = new Error(
      `cannot open the DHCP socket on interface ${iface}, port ${port}: ${(error as Error).message}${hint}`,
    );
    Object.assign(wrapped, { code });
    throw wrapped;
  }
  const backlog = new SendBacklog((bytes, address, port) => edge.sendTo(bytes, address, port));
  return {
    send(bytes, address, port, done) {
      backlog.send(bytes, address, port, done);
    },
    close() {
      backlog.close();
      edge.close();
    },
  };
}

/** Sends now: true when sent, false when the socket's send queue is full; throws on other errors. */
export type TrySend = (bytes: Uint8Array, address: string, port: number) => boolean;

interface Waiting {
  readonly bytes: Uint8Array;
  readonly address: string;
  readonly port: number;
  readonly done: (error: Error | undefined) => void;
  readonly since: number;
}

/**
 * Replies the kernel could not take at once (a full send queue) wait here, in order, and are
 * retried every millisecond. One that still cannot leave after a second, or arrives when a
 * thousand are waiting, is reported as failed: by then its client has retransmitted anyway.
 */
export class SendBacklog {
  static readonly MAX_WAITING = 1024;
  static readonly MAX_WAIT_MS = 1000;
  readonly #trySend: TrySend;
  readonly #now: () => number;
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(trySend: TrySend, now: () => number = Date.now) {
    this.#trySend = trySend;
    this.#now = now;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  send(bytes: Uint8Array, address: string, port: number, done: (error: Error | undefined) => void): void {
    if (this.#closed) {
      done(new Error("the socket is closed"));
      return;
    }
    if (this.#waiting.length > 0) {
      this.#wait({ bytes, address, port, done, since: this.#now() });
      return;
    }
    let sent: boolean;
    try {
      sent = this.#trySend(bytes, address, port);
    } catch (error) {
      done(sendError(error));
      return;
    }
    if (sent) done(undefined);
    else this.#wait({ bytes, address, port, done, since: this.#now() });
  }

  /** Fails everything still waiting. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const entry of waiting) entry.done(new Error("the socket was closed before the reply left"));
  }

  #wait(entry: Waiting): void {
    if (this.#waiting.length >= SendBacklog.MAX_WAITING) {
      entry.done(new Error(`send queue full (${SendBacklog.MAX_WAITING} replies waiting)`));
      return;
    }
    this.#waiting.push(entry);
    this.#timer ??= setTimeout(() => this.#retry(), 1);
  }

  /** Sends waiting replies in order until the kernel refuses one again. */
  #retry(): void {
    this.#timer = undefined;
    const now = this.#now();
    let next = 0;
    const waiting = this.#waiting;
    for (; next < waiting.length; next++) {
      const entry = waiting[next]!;
      if (now - entry.since > SendBacklog.MAX_WAIT_MS) {
        entry.done(new Error(`the send queue stayed full for ${SendBacklog.MAX_WAIT_MS} ms`));
        continue;
      }
      let sent: boolean;
      try {
        sent = this.#trySend(entry.bytes, entry.address, entry.port);
      } catch (error) {
        entry.done(sendError(error));
        continue;
      }
      if (!sent) break;
      entry.done(undefined);
    }
    this.#waiting = waiting.slice(next);
    if (this.#waiting.length > 0 && !this.#closed) this.#timer = setTimeout(() => this.#retry(), 1);
  }
}

function sendError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The sockets of every served interface. */
export class InterfaceSockets {
  readonly #sockets = new Map<string, InterfaceSocket>();

  private constructor() {}

  static open(
    interfaces: readonly string[],
    port: number,
    onMessage: DatagramHandler,
    onError: ErrorHandler,
    opener: SocketOpener = openDeviceSocket,
  ): InterfaceSockets {
    const set = new InterfaceSockets();
    try {
      for (const iface of new Set(interfaces)) {
        const socket = opener(
          iface,
          port,
          (batch) => onMessage(batch, iface),
          (error) => onError(iface, error),
        );
        set.#sockets.set(iface, socket);
      }
    } catch (error) {
      set.close();
      throw error;
    }
    return set;
  }

  get interfaces(): string[] {
    return [...this.#sockets.keys()];
  }

  /** Sends out of `iface`'s socket and calls `done` with the error, if any (never throws). */
  send(
    iface: string,
    bytes: Uint8Array,
    address: string,
    port: number,
    done: (error: Error | undefined) => void,
  ): void {
    const socket = this.#sockets.get(iface);
    if (!socket) {
      done(new Error(`no socket for interface ${iface}`));
      return;
    }
    socket.send(bytes, address, port, done);
  }

  close(): void {
    for (const socket of this.#sockets.values()) {
      try {
        socket.close();
      } catch {
        // Closing is best effort: the descriptor goes with the process anyway.
      }
    }
    this.#sockets.clear();
  }
}

/**
 * DHCP sockets: one UDP socket per served interface, bound to that device (SO_BINDTODEVICE via
 * the small native module in native/udp_device.c) on 0.0.0.0:67. A device-bound socket receives
 * only its own LAN's broadcasts, so the interface a request came in on is known, and its replies
 * to 255.255.255.255 leave by that same interface even when the default route points elsewhere.
 * Replies go out with one sendto() from the same module: dgram's send costs a request object, a
 * callback and a loop turn per datagram, and a DHCP server sends one per message.
 */
import dgram from "node:dgram";
import { constants as osConstants } from "node:os";
import { getSystemErrorName } from "node:util";
import { loadNativeModule } from "../net/native-module.js";

interface UdpDeviceModule {
  openDeviceSocket(ifname: string, port: number, receiveBufferBytes: number): number;
  closeFd(fd: number): void;
  sendTo(fd: number, bytes: Uint8Array, address: string, port: number): number;
}

let native: UdpDeviceModule | undefined;

/** Loads build/Release/udp_device.node (built by `npm install` through node-gyp). */
export function loadUdpDevice(): UdpDeviceModule {
  native ??= loadNativeModule<UdpDeviceModule>("udp_device", "the DHCP socket module");
  return native;
}

/** Literal addresses only: skips dns.lookup and its extra tick on every send. */
function literalLookup(
  hostname: string,
  _options: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, hostname, 4);
}

export type DatagramHandler = (bytes: Buffer, iface: string) => void;
export type ErrorHandler = (iface: string, error: Error) => void;

/**
 * Receive queue per socket (the kernel doubles it for its bookkeeping): a few hundred requests,
 * some 20–40 ms of work at full load, plenty for a room of phones booting at once. A deeper queue
 * only makes the server answer requests that waited there: with perfdhcp at 6 000 and 9 000
 * offered/s, 1 MiB completed fewer exchanges than this in each of 7 alternating pairs (1–21 % fewer).
 */
export const RECEIVE_BUFFER_BYTES = Number(process.env.SITEBOOT_DHCP_RCVBUF ?? 208 * 1024);

/** Opens a device-bound socket: the production path. */
export function openDeviceSocket(iface: string, port: number): Promise<dgram.Socket> {
  const module = loadUdpDevice();
  const fd = module.openDeviceSocket(iface, port, RECEIVE_BUFFER_BYTES);
  const socket = dgram.createSocket({ type: "udp4", lookup: literalLookup });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.close();
      reject(new Error(`cannot adopt the DHCP socket for ${iface}: ${error.message}`));
    };
    socket.once("error", onError);
    socket.bind({ fd }, () => {
      socket.off("error", onError);
      deviceSocketFds.set(socket, fd);
      resolve(socket);
    });
  });
}

/** The descriptor of each socket opened by openDeviceSocket, for sending without dgram. */
const deviceSocketFds = new WeakMap<dgram.Socket, number>();

/** A full send queue: dgram waits for the socket to be writable and sends then. */
const QUEUE_ERRNOS = new Set([
  osConstants.errno.EAGAIN,
  osConstants.errno.EWOULDBLOCK,
  osConstants.errno.ENOBUFS,
]);

export type SocketOpener = (iface: string, port: number) => Promise<dgram.Socket>;

/** The sockets of every served interface. */
export class InterfaceSockets {
  readonly #sockets = new Map<string, dgram.Socket>();

  private constructor() {}

  static async open(
    interfaces: readonly string[],
    port: number,
    onMessage: DatagramHandler,
    onError: ErrorHandler,
    opener: SocketOpener = openDeviceSocket,
  ): Promise<InterfaceSockets> {
    const set = new InterfaceSockets();
    try {
      for (const iface of new Set(interfaces)) {
        const socket = await opener(iface, port);
        socket.on("message", (bytes) => onMessage(bytes, iface));
        socket.on("error", (error) => onError(iface, error));
        set.#sockets.set(iface, socket);
      }
    } catch (error) {
      await set.close();
      throw error;
    }
    return set;
  }

  get interfaces(): string[] {
    return [...this.#sockets.keys()];
  }

  /**
   * Sends out of `iface`'s socket and calls `done` with the error, if any (never throws). A
   * device socket sends with one sendto() and calls `done` before returning; only when the
   * kernel's send queue is full does the datagram wait in dgram's queue instead.
   */
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
    const fd = deviceSocketFds.get(socket);
    if (fd !== undefined) {
      let errno: number;
      try {
        errno = loadUdpDevice().sendTo(fd, bytes, address, port);
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (errno === 0) {
        done(undefined);
        return;
      }
      if (!QUEUE_ERRNOS.has(errno)) {
        done(new Error(`sendto: ${getSystemErrorName(-errno)}`));
        return;
      }
    }
    try {
      socket.send(bytes, port, address, (error) => done(error ?? undefined));
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async close(): Promise<void> {
    const closing = [...this.#sockets.values()].map(
      (socket) =>
        new Promise<void>((resolve) => {
          try {
            socket.close(() => resolve());
          } catch {
            resolve();
          }
        }),
    );
    this.#sockets.clear();
    await Promise.all(closing);
  }
}

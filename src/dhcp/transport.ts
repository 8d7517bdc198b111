/**
 * DHCP sockets: one UDP socket per served interface, bound to that device (SO_BINDTODEVICE via
 * the small native module in native/udp_device.c) on 0.0.0.0:67. A device-bound socket receives
 * only its own LAN's broadcasts, so the interface a request came in on is known, and its replies
 * to 255.255.255.255 leave by that same interface even when the default route points elsewhere.
 */
import dgram from "node:dgram";
import { loadNativeModule } from "../net/native-module.js";

interface UdpDeviceModule {
  openDeviceSocket(ifname: string, port: number, receiveBufferBytes: number): number;
  closeFd(fd: number): void;
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
 * Receive queue per socket: about a quarter second of requests at full load. Deeper queues only
 * make answers arrive after the client gave up (clients retransmit after 1–4 s).
 */
export const RECEIVE_BUFFER_BYTES = Number(process.env.SITEBOOT_DHCP_RCVBUF ?? 1024 * 1024);

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
      resolve(socket);
    });
  });
}

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

  /** Sends out of `iface`'s socket; resolves false (never throws) when the send failed. */
  send(iface: string, bytes: Uint8Array, address: string, port: number): Promise<Error | undefined> {
    const socket = this.#sockets.get(iface);
    if (!socket) return Promise.resolve(new Error(`no socket for interface ${iface}`));
    return new Promise((resolve) => {
      try {
        socket.send(bytes, port, address, (error) => resolve(error ?? undefined));
      } catch (error) {
        resolve(error instanceof Error ? error : new Error(String(error)));
      }
    });
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

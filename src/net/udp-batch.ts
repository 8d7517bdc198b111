/**
 * The batched UDP edge (native/udp_batch.c): one socket read with recvmmsg and written with
 * sendmmsg, one JavaScript callback per batch of up to `slots` datagrams, each with the kernel's
 * receive timestamp (SO_TIMESTAMPNS). Payloads, addresses and times live in memory shared with the
 * native side, so a batch costs no allocation beyond what the handler itself makes.
 *
 * A handler sees the batch synchronously: payload views, addresses and reply slots are valid only
 * until it returns (the next batch overwrites them). Replies staged with `reply()` go out in one
 * sendmmsg on `flush()`, or when the handler returns; replies completed later go with `sendTo()`.
 */

import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { ipv4Text } from "../config/ipv4.js";
import { loadNativeModule } from "./native-module.js";

interface NativeOpened {
  readonly handle: unknown;
  readonly port: number;
  readonly family: 4 | 6;
  readonly recv: ArrayBuffer;
  readonly recvMeta: ArrayBuffer;
  readonly recvAddr: ArrayBuffer;
  readonly recvTime: ArrayBuffer;
  readonly send: ArrayBuffer;
  readonly sendMeta: ArrayBuffer;
}

interface UdpBatchModule {
  open(
    address: string,
    port: number,
    options: {
      slots: number;
      slotBytes: number;
      receiveBufferBytes: number;
      reuseAddress: boolean;
      ipv6Only: boolean;
      device: string | undefined;
      broadcast: boolean;
      timestamps: boolean;
    },
    onBatch: (count: number) => void,
  ): NativeOpened;
  sendBatch(handle: unknown, count: number): number;
  sendTo(handle: unknown, bytes: Uint8Array, address: string, port: number): boolean;
  close(handle: unknown): void;
  realtime(out: Float64Array): void;
  pump(
    handle: unknown,
    bytes: Uint8Array,
    blockSize: number,
    windowSize: number,
    acked: number,
    address: string,
    port: number,
    progress: Float64Array,
  ): void;
}

/** A TFTP read transfer the native edge answers in-order ACKs of (native/tftp_pump.h). */
export interface TftpPumpSettings {
  /** The whole content served; held by the native side until the socket closes. */
  readonly bytes: Uint8Array;
  readonly blockSize: number;
  readonly windowSize: number;
  /** Highest block acknowledged so far; -1 while the OACK is unacknowledged. */
  readonly acked: number;
  readonly address: string;
  readonly port: number;
  /** Kept current by the native side: [0] highest block acknowledged, [1] when the last window went out (ms since the epoch). */
  readonly progress: Float64Array;
}

let native: UdpBatchModule | undefined;
let loadFailure: string | undefined;

/** Loads build/Release/udp_batch.node once; undefined (with the reason in `udpBatchFailure()`) if it is not built. */
export function loadUdpBatch(): UdpBatchModule | undefined {
  if (native || loadFailure) return native;
  try {
    native = loadNativeModule<UdpBatchModule>("udp_batch", "the batched UDP module");
  } catch (error) {
    loadFailure = (error as Error).message;
  }
  return native;
}

export function udpBatchFailure(): string | undefined {
  loadUdpBatch();
  return loadFailure;
}

let fallbackNoted = false;

/**
 * Which UDP edge DNS and NTP use, from SITEBOOT_UDP_EDGE: unset (or empty) is the batched native
 * edge when it is built and Node's dgram otherwise, said once as a process warning; "native"
 * insists on the native edge and throws when it cannot be loaded; "dgram" forces Node's dgram.
 * Any other value throws rather than being ignored.
 */
export function useUdpBatch(): boolean {
  const wanted = process.env.SITEBOOT_UDP_EDGE ?? "";
  switch (wanted) {
    case "dgram":
      return false;
    case "native":
      if (loadUdpBatch()) return true;
      throw new Error(`SITEBOOT_UDP_EDGE=native asks for the batched UDP edge, but ${loadFailure}`);
    case "":
      break;
    default:
      throw new Error(
        `SITEBOOT_UDP_EDGE=${JSON.stringify(wanted)} is not understood: use "native" (the batched UDP edge, required) or "dgram" (Node's sockets), or leave it unset (native when built, else dgram)`,
      );
  }
  if (loadUdpBatch()) return true;
  if (!fallbackNoted) {
    fallbackNoted = true;
    process.emitWarning(`${loadFailure}; DNS and NTP use Node's dgram sockets instead`, {
      code: "SITEBOOT_UDP_EDGE_FALLBACK",
    });
  }
  return false;
}

export interface UdpBatchOptions {
  /** Datagrams per recvmmsg/sendmmsg (default 64). */
  readonly slots?: number;
  /** Bytes per datagram slot; longer datagrams arrive cut and flagged `truncated` (default 4096). */
  readonly slotBytes?: number;
  /** SO_RCVBUF request, capped by net.core.rmem_max (default: the kernel's). */
  readonly receiveBufferBytes?: number;
  /** SO_REUSEADDR (default false: on Linux it would let two UDP servers share a port silently). */
  readonly reuseAddress?: boolean;
  /** IPV6_V6ONLY for IPv6 sockets (default true). */
  readonly ipv6Only?: boolean;
  /** SO_BINDTODEVICE: receive from and send through this interface only (default: any). */
  readonly device?: string;
  /** SO_BROADCAST: may send to 255.255.255.255 (default false). */
  readonly broadcast?: boolean;
  /** SO_TIMESTAMPNS: the kernel's receive time of each datagram (default true; false: the batch's time). */
  readonly timestamps?: boolean;
}

export type BatchHandler = (batch: UdpBatchSocket) => void;

/** One bound socket; also the view of the batch being delivered. */
export class UdpBatchSocket {
  readonly #module: UdpBatchModule;
  readonly #handle: unknown;
  readonly #slots: number;
  readonly #slotBytes: number;
  readonly #recv: Buffer;
  readonly #recvMeta: Int32Array;
  readonly #recvAddr: Uint8Array;
  readonly #recvTime: Float64Array;
  readonly #send: Uint8Array;
  readonly #sendMeta: Int32Array;
  readonly #handler: BatchHandler;
  readonly #onError: (error: Error) => void;
  #staged = 0;
  #closed = false;
  /** Datagrams in the batch being delivered (0 outside a delivery). */
  count = 0;
  /** Replies staged but refused by the kernel (full socket buffer or per-datagram error), all time. */
  sendDrops = 0;
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;

  private constructor(
    module: UdpBatchModule,
    address: string,
    port: number,
    options: UdpBatchOptions,
    handler: BatchHandler,
    onError: (error: Error) => void,
  ) {
    this.#module = module;
    this.#handler = handler;
    this.#onError = onError;
    this.#slots = options.slots ?? 64;
    this.#slotBytes = options.slotBytes ?? 4096;
    const opened = module.open(
      address,
      port,
      {
        slots: this.#slots,
        slotBytes: this.#slotBytes,
        receiveBufferBytes: options.receiveBufferBytes ?? 0,
        reuseAddress: options.reuseAddress ?? false,
        ipv6Only: options.ipv6Only ?? true,
        device: options.device,
        broadcast: options.broadcast ?? false,
        timestamps: options.timestamps ?? true,
      },
      this.#deliver,
    );
    this.#handle = opened.handle;
    this.#recv = Buffer.from(opened.recv);
    this.#recvMeta = new Int32Array(opened.recvMeta);
    this.#recvAddr = new Uint8Array(opened.recvAddr);
    this.#recvTime = new Float64Array(opened.recvTime);
    this.#send = new Uint8Array(opened.send);
    this.#sendMeta = new Int32Array(opened.sendMeta);
    this.address = address;
    this.port = opened.port;
    this.family = opened.family;
  }

  /** Binds address:port (port 0: the kernel picks; `port` says which). Throws with `code` set (EADDRINUSE, …). */
  static open(
    address: string,
    port: number,
    options: UdpBatchOptions,
    handler: BatchHandler,
    onError: (error: Error) => void,
  ): UdpBatchSocket {
    const module = loadUdpBatch();
    if (!module) throw new Error(loadFailure);
    if (isIP(address) === 0)
      throw new Error(`udp batch: ${JSON.stringify(address)} is not a literal IP address`);
    return new UdpBatchSocket(module, address, port, options, handler, onError);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Like dgram's socket.address(). */
  addressInfo(): AddressInfo {
    return { address: this.address, family: this.family === 6 ? "IPv6" : "IPv4", port: this.port };
  }

  /** Datagram i of the current batch: a view into shared memory, valid until the handler returns. */
  payload(i: number): Buffer {
    const start = i * this.#slotBytes;
    return this.#recv.subarray(start, start + this.#recvMeta[i * 4]!);
  }

  /** True when datagram i was longer than a slot and arrived cut. */
  truncated(i: number): boolean {
    return (this.#recvMeta[i * 4 + 3]! & 1) !== 0;
  }

  /** True when the TFTP data pump already answered datagram i (an in-order ACK): skip it. */
  answeredByPump(i: number): boolean {
    return (this.#recvMeta[i * 4 + 3]! & 2) !== 0;
  }

  /**
   * From now on the native side answers the in-order ACKs of this TFTP read transfer itself,
   * sending the next window from `bytes`; other datagrams still come to the handler, marked or not
   * with answeredByPump(). Read `progress` before acting on them.
   */
  pump(settings: TftpPumpSettings): void {
    if (this.#closed) return;
    const { bytes, blockSize, windowSize, acked, address, port, progress } = settings;
    this.#module.pump(this.#handle, bytes, blockSize, windowSize, acked, address, port, progress);
  }

  sourcePort(i: number): number {
    return this.#recvMeta[i * 4 + 1]!;
  }

  /** The source address as Node's dgram spells it (IPv4-mapped IPv6 as ::ffff:a.b.c.d). */
  sourceAddress(i: number): string {
    const a = this.#recvAddr;
    const o = i * 16;
    if (this.#recvMeta[i * 4 + 2] === 4) {
      return ipv4Text(((a[o]! << 24) | (a[o + 1]! << 16) | (a[o + 2]! << 8) | a[o + 3]!) >>> 0);
    }
    return formatIpv6(a, o);
  }

  /** Kernel receive time of datagram i (CLOCK_REALTIME): whole seconds and nanoseconds. */
  receivedSec(i: number): number {
    return this.#recvTime[i * 2]!;
  }

  receivedNsec(i: number): number {
    return this.#recvTime[i * 2 + 1]!;
  }

  /** Nanoseconds between datagram i's arrival and the moment the batch was handed to JavaScript. */
  ageNanos(i: number): number {
    const t = this.#recvTime;
    const d = this.#slots * 2;
    return Math.max(0, (t[d]! - t[i * 2]!) * 1e9 + (t[d + 1]! - t[i * 2 + 1]!));
  }

  /** Nanoseconds between datagram i's arrival and the return of the last sendmmsg. */
  nanosToLastSend(i: number): number {
    const t = this.#recvTime;
    const s = this.#slots * 2 + 2;
    return Math.max(0, (t[s]! - t[i * 2]!) * 1e9 + (t[s + 1]! - t[i * 2 + 1]!));
  }

  /**
   * Stages `bytes` as the reply to datagram i (to its source address and port). False when it does
   * not fit a slot or every slot is taken: send it with sendTo() instead.
   */
  reply(i: number, bytes: Uint8Array): boolean {
    const k = this.#staged;
    if (bytes.length > this.#slotBytes || k >= this.#slots || i < 0 || i >= this.count) return false;
    this.#send.set(bytes, k * this.#slotBytes);
    this.#sendMeta[k * 2] = bytes.length;
    this.#sendMeta[k * 2 + 1] = i;
    this.#staged = k + 1;
    return true;
  }

  /** The bytes of staged reply k, to patch in place just before flush (e.g. a transmit timestamp). */
  stagedReply(k: number): Uint8Array {
    const start = k * this.#slotBytes;
    return this.#send.subarray(start, start + this.#sendMeta[k * 2]!);
  }

  get staged(): number {
    return this.#staged;
  }

  /** Sends every staged reply with one sendmmsg; returns how many the kernel took. */
  flush(): number {
    const n = this.#staged;
    if (n === 0 || this.#closed) {
      this.#staged = 0;
      return 0;
    }
    this.#staged = 0;
    const sent = this.#module.sendBatch(this.#handle, n);
    if (sent < n) this.sendDrops += n - sent;
    return sent;
  }

  /** One datagram now (replies completed after their batch). False if the socket buffer is full. */
  sendTo(bytes: Uint8Array, address: string, port: number): boolean {
    if (this.#closed) return false;
    return this.#module.sendTo(this.#handle, bytes, address, port);
  }

  /** Stops receiving and closes the socket at once; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#staged = 0;
    this.#module.close(this.#handle);
  }

  readonly #deliver = (count: number): void => {
    if (this.#closed) return;
    if (count < 0) {
      this.#onError(new Error(`udp receive on ${this.address}:${this.port} failed (errno ${-count})`));
      return;
    }
    this.count = count;
    this.#staged = 0;
    try {
      this.#handler(this);
      if (this.#staged > 0) this.flush();
    } catch (error) {
      this.#staged = 0;
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.count = 0;
    }
  };
}

/** RFC 5952 text for the IPv6 address at bytes[o..o+16]; IPv4-mapped ones as ::ffff:a.b.c.d. */
export function formatIpv6(bytes: Uint8Array, o = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[o + i * 2]! << 8) | bytes[o + i * 2 + 1]!);
  if (
    words[0] === 0 &&
    words[1] === 0 &&
    words[2] === 0 &&
    words[3] === 0 &&
    words[4] === 0 &&
    words[5] === 0xffff
  ) {
    return `::ffff:${bytes[o + 12]}.${bytes[o + 13]}.${bytes[o + 14]}.${bytes[o + 15]}`;
  }
  // The longest run of two or more zero words becomes "::" (the first such run on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

import dgram from "node:dgram";
import { closeSync, openSync, readSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { closeDgram } from "../net/close-dgram.js";
import { bindError } from "../observe/control-server.js";
import type { Catalog, Lookup } from "./catalog.js";
import type { FetchOutcome } from "./fetch-event.js";
import { FileCache } from "./file-cache.js";
import { sharedPacketSource } from "./tftp-block-packets.js";
import { type Negotiated, negotiate } from "./tftp-options.js";
import { decodeTftp, encodeError, OPCODE, TFTP_ERROR } from "./tftp-packet.js";
import {
  type BlockSource,
  bytesSource,
  type Step,
  TftpReadTransfer,
  type TransferResult,
} from "./tftp-transfer.js";
import { openTransferSocket, type TransferSocket } from "./transfer-socket.js";

/**
 * The TFTP transport: a listening socket per bind address takes read requests; each transfer gets
 * its own socket (its transfer identifier, RFC 1350 §4) and timer, and drives a TftpReadTransfer.
 * Write requests are refused: the server is read-only.
 */

export interface TftpServerOptions {
  readonly catalog: () => Catalog;
  readonly onFetch: (outcome: FetchOutcome) => void;
  readonly onError: (error: Error) => void;
}

export class TftpServer {
  readonly #options: TftpServerOptions;
  readonly #listeners: dgram.Socket[] = [];
  readonly #transfers = new Set<Transfer>();
  readonly #cache = new FileCache();
  /** By client address|port: its transfer, or null while its request is being answered. */
  readonly #busyPeers = new Map<string, Transfer | null>();

  constructor(options: TftpServerOptions) {
    this.#options = options;
  }

  async listen(addresses: readonly string[], port: number): Promise<void> {
    for (const address of addresses) {
      const socket = dgram.createSocket({ type: isIPv6(address) ? "udp6" : "udp4", reuseAddr: false });
      await new Promise<void>((resolve, reject) => {
        socket.once("error", (error) =>
          reject(bindError("TFTP", address, port, error as NodeJS.ErrnoException)),
        );
        socket.bind(port, address, () => {
          socket.removeAllListeners("error");
          socket.on("error", (error) => this.#options.onError(error));
          resolve();
        });
      });
      socket.on("message", (message, peer) => void this.#request(socket, address, message, peer));
      this.#listeners.push(socket);
    }
  }

  /** The port the first listener got (tests bind port 0). */
  port(): number | undefined {
    return this.#listeners[0]?.address().port;
  }

  async close(): Promise<void> {
    await Promise.all(this.#listeners.splice(0).map(closeDgram));
    await Promise.all([...this.#transfers].map((t) => t.finish("aborted", "server stopping")));
  }

  /**
   * A request repeated by the same client port while it is answered, or before its transfer has
   * moved, starts nothing new (one lost reply would otherwise start a second transfer). Once the
   * transfer has moved, a request from that port is a new one: the client reused its port.
   */
  async #request(
    listener: dgram.Socket,
    local: string,
    message: Buffer,
    peer: dgram.RemoteInfo,
  ): Promise<void> {
    const key = `${peer.address}|${peer.port}`;
    const busy = this.#busyPeers.get(key);
    if (busy === null || (busy && !busy.progressed)) return;
    if (busy) await busy.finish("aborted", "the client sent a new request from the same port");
    this.#busyPeers.set(key, null);
    try {
      if (!(await this.#answer(listener, local, message, peer, key))) this.#release(key, null);
    } catch (error) {
      this.#release(key, null);
      this.#options.onError(error as Error);
    }
  }

  #release(key: string, owner: Transfer | null): void {
    if (this.#busyPeers.get(key) === owner) this.#busyPeers.delete(key);
  }

  /** True when a transfer started (it holds the peer's key until it ends). */
  async #answer(
    listener: dgram.Socket,
    local: string,
    message: Buffer,
    peer: dgram.RemoteInfo,
    key: string,
  ): Promise<boolean> {
    // A listener closed by close() while the request was looked up sends nothing.
    const reply = (code: number, text: string) =>
      this.#listeners.includes(listener) && listener.send(encodeError(code, text), peer.port, peer.address);
    const d = decodeTftp(message);
    if (!d.ok || (d.packet.op !== "RRQ" && d.packet.op !== "WRQ")) return false; // stray packets get no answer
    const request = d.packet;
    const client = peer.address;
    const outcome = (result: FetchOutcome["result"], detail?: string, bytes = 0): void =>
      this.#options.onFetch({
        protocol: "tftp",
        client,
        file: request.filename,
        bytes,
        result,
        ...(detail ? { detail } : {}),
      });
    if (request.op === "WRQ") {
      reply(TFTP_ERROR.accessViolation, "read-only server");
      outcome("refused", "write request");
      return false;
    }
    if (request.mode !== "octet" && request.mode !== "netascii") {
      reply(TFTP_ERROR.illegalOperation, `unsupported mode ${request.mode}`);
      outcome("refused", `mode ${request.mode}`);
      return false;
    }
    const catalog = this.#options.catalog();
    let found: Lookup;
    let source: OpenSource;
    try {
      found = await catalog.lookup(request.filename, { client });
      if (found.kind === "refused") {
        reply(TFTP_ERROR.accessViolation, found.message);
        outcome("refused", found.message);
        return false;
      }
      if (found.kind === "not-found" || found.kind === "directory") {
        reply(TFTP_ERROR.notFound, "File not found");
        outcome("not-found", found.kind === "directory" ? "a folder" : found.message);
        return false;
      }
      source = await openSource(found, request.mode === "netascii", this.#cache);
    } catch (error) {
      reply(TFTP_ERROR.undefined, "cannot read the file");
      outcome("error", (error as Error).message);
      return false;
    }
    const settings = catalog.provisioning.tftp;
    const negotiated = negotiate(request.options, source.size, settings);
    const core = new TftpReadTransfer(source, { ...negotiated, maxRetries: settings.retries });
    const mac = found.kind === "rendered" ? found.mac : undefined;
    const transfer = new Transfer(core, source, local, peer, negotiated, (result, detail) => {
      this.#transfers.delete(transfer);
      this.#release(key, transfer);
      this.#options.onFetch({
        protocol: "tftp",
        client,
        file: request.filename,
        bytes: result === "complete" ? source.size : core.bytesAcknowledged,
        result,
        ...(mac ? { mac } : {}),
        ...(found.kind === "rendered" ? { template: found.template } : {}),
        ...(detail ? { detail } : {}),
      });
    });
    this.#transfers.add(transfer);
    this.#busyPeers.set(key, transfer);
    void transfer.start(this.#options.onError);
    return true;
  }
}

type OpenSource = BlockSource & { close(): void };

async function openSource(
  found: Extract<Lookup, { kind: "file" | "rendered" }>,
  netascii: boolean,
  cache: FileCache,
): Promise<OpenSource> {
  if (found.kind === "rendered")
    return { ...bytesSource(netascii ? toNetascii(found.bytes) : found.bytes), close() {} };
  const cached = cache.get(found.path, found.size, found.mtimeMs);
  if (cached && !netascii) return { ...sharedPacketSource(await cached), close() {} };
  if (cached || netascii) {
    const bytes = (await cached) ?? (await readFile(found.path));
    return { ...bytesSource(netascii ? toNetascii(bytes) : bytes), close() {} };
  }
  // Too large to keep: read block by block from the open file.
  const fd = openSync(found.path, "r");
  const size = found.size;
  return {
    size,
    read: (offset, length, target, at) => readSync(fd, target, at, length, offset),
    close: () => closeSync(fd),
  };
}

/** RFC 764 NVT text: LF → CR LF, CR → CR NUL. */
export function toNetascii(bytes: Uint8Array): Buffer {
  let extra = 0;
  for (const b of bytes) if (b === 0x0a || b === 0x0d) extra++;
  const out = Buffer.allocUnsafe(bytes.length + extra);
  let at = 0;
  for (const b of bytes) {
    if (b === 0x0a) {
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    } else if (b === 0x0d) {
      out[at++] = 0x0d;
      out[at++] = 0x00;
    } else out[at++] = b;
  }
  return out;
}

/** One transfer's socket and timer around its state machine. */
class Transfer {
  readonly #core: TftpReadTransfer;
  readonly #source: OpenSource;
  readonly #peer: dgram.RemoteInfo;
  readonly #local: string;
  readonly #done: (result: TransferResult, detail?: string) => void;
  #socket: TransferSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  /** The native data pump's progress while it answers this transfer's ACKs. */
  #pumped: Float64Array | undefined;
  readonly #negotiated: Negotiated;

  constructor(
    core: TftpReadTransfer,
    source: OpenSource,
    local: string,
    peer: dgram.RemoteInfo,
    negotiated: Negotiated,
    done: (result: TransferResult, detail?: string) => void,
  ) {
    this.#negotiated = negotiated;
    this.#core = core;
    this.#source = source;
    this.#peer = peer;
    this.#done = done;
    this.#local = local;
  }

  /** Whether the client has acknowledged any data. */
  get progressed(): boolean {
    this.#catchUp();
    return this.#core.blocksAcknowledged > 0;
  }

  /** The state machine takes over what the data pump did since it last looked. */
  #catchUp(): void {
    const p = this.#pumped;
    if (p && p[0]! > this.#core.lastAcknowledged) this.#core.acknowledged(p[0]!, p[1]!);
  }

  async start(onError: (error: Error) => void): Promise<void> {
    const failed = (error: Error) => {
      onError(error);
      void this.finish("aborted", error.message);
    };
    try {
      this.#socket = await openTransferSocket(
        this.#local,
        (bytes, address, port) => this.#message(bytes, address, port),
        failed,
      );
    } catch (error) {
      failed(error as Error);
      return;
    }
    if (this.#finished) {
      await this.#socket.close();
      return;
    }
    this.#apply(this.#core.start(Date.now()));
    // Content in memory: the native edge sends each next block on the in-order ACK itself; the
    // state machine hears of it when anything else arrives or the timer runs out.
    const bytes = this.#source.bytes;
    if (bytes && this.#socket.pump && !this.#finished) {
      this.#pumped = this.#socket.pump({
        bytes,
        blockSize: this.#negotiated.blockSize,
        windowSize: this.#negotiated.windowSize,
        acked: this.#core.lastAcknowledged,
        address: this.#peer.address,
        port: this.#peer.port,
      });
    }
  }

  #message(bytes: Buffer, address: string, port: number): void {
    this.#catchUp();
    if (address !== this.#peer.address || port !== this.#peer.port) {
      // RFC 1350: a packet from another transfer identifier gets an error; this transfer goes on.
      this.#socket?.send(encodeError(TFTP_ERROR.unknownTid, "unknown transfer ID"), address, port);
      return;
    }
    // ACKs are nearly every packet of a transfer: read in place, no decoded object per block.
    if (bytes.length === 4 && bytes[0] === 0 && bytes[1] === OPCODE.ACK) {
      this.#apply(this.#core.onAck(((bytes[2] as number) << 8) | (bytes[3] as number), Date.now()));
      return;
    }
    const d = decodeTftp(bytes);
    if (!d.ok) return;
    this.#apply(this.#core.onPacket(d.packet, Date.now()));
  }

  #apply(step: Step): void {
    if (this.#finished) return;
    for (const packet of step.send) this.#socket?.send(packet, this.#peer.address, this.#peer.port);
    if (step.done) {
      void this.finish(step.done.result, step.done.detail);
      return;
    }
    if (step.send.length === 0 || this.#timer) return;
    // Every send moves the core's deadline to now + timeout. The timer is not moved per block: when
    // it runs out before the deadline it is armed again for the rest, so the window goes again
    // exactly when the deadline passes, at one timer operation per timeout instead of per block.
    this.#arm(this.#negotiated.timeoutMs);
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#expired(), delayMs);
  }

  #expired(): void {
    this.#timer = undefined;
    if (this.#finished) return;
    this.#catchUp();
    const now = Date.now();
    const early = this.#core.deadline - now;
    if (early > 0) {
      this.#arm(early);
      return;
    }
    this.#apply(this.#core.onTimeout(now));
  }

  async finish(result: TransferResult, detail?: string): Promise<void> {
    if (this.#finished) return;
    this.#catchUp();
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#source.close();
    this.#done(result, detail);
    await this.#socket?.close();
  }
}

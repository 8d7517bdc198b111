import type { Negotiated } from "./tftp-options.js";
import { dataPacket, encodeError, encodeOack, TFTP_ERROR, type TftpPacket } from "./tftp-packet.js";

/**
 * One read transfer as a state machine that knows nothing of sockets or timers: the transport
 * feeds it the client's packets and the time, sends what it returns and arms a timer for
 * `deadline`. Blocks are counted from 1 without limit; only the wire number wraps (65535 → 0), so a
 * file of any size goes through.
 *
 * Retransmission follows RFC 1350 as corrected by RFC 1123 4.2.3.1: a window is sent again only
 * when the timer runs out, never because an ACK arrived twice (the sorcerer's apprentice bug).
 * With a window of more than one block (RFC 7440) an ACK inside the window moves the window to the
 * block after it.
 */

/** The bytes served, read on demand (a file on disk or a rendered template). */
export interface BlockSource {
  readonly size: number;
  /** The whole content, when it is in memory: the transport may then send blocks from it itself. */
  readonly bytes?: Uint8Array;
  /** Copies up to `length` bytes from `offset` into `target` at `at`; returns the count copied. */
  read(offset: number, length: number, target: Uint8Array, at: number): number;
  /**
   * DATA packet `block` (counted from 1) of `blockSize`-byte blocks, built once and shared by every
   * transfer of the same bytes; never written to. Absent: the transfer builds each packet.
   */
  packet?(block: number, blockSize: number): Uint8Array;
}

export type TransferResult = "complete" | "timeout" | "aborted";

export interface Step {
  readonly send: readonly Uint8Array[];
  /** Set once the transfer is over; the transport then releases it. */
  readonly done?: { readonly result: TransferResult; readonly detail?: string };
}

/** Nothing to send, nothing ended: shared, as most packets a transfer ignores produce it. */
const NOTHING: Step = Object.freeze({ send: Object.freeze([]) as readonly Uint8Array[] });

export interface TransferSettings extends Negotiated {
  /** Times a window is sent again without progress before the transfer is given up. */
  readonly maxRetries: number;
}

export class TftpReadTransfer {
  readonly #source: BlockSource;
  readonly #settings: TransferSettings;
  /** Blocks in the file: the last one is shorter than a block, possibly empty. */
  readonly #blocks: number;
  /** Highest block the client acknowledged; -1 while the OACK (block 0) is unacknowledged. */
  #acked: number;
  #retries = 0;
  #deadline = 0;
  #over = false;

  constructor(source: BlockSource, settings: TransferSettings) {
    this.#source = source;
    this.#settings = settings;
    this.#blocks = Math.floor(source.size / settings.blockSize) + 1;
    this.#acked = settings.oack.size > 0 ? -1 : 0;
  }

  /** When the current window is sent again if nothing moves it (milliseconds, the caller's clock). */
  get deadline(): number {
    return this.#deadline;
  }

  /** Data blocks the client has acknowledged. */
  get blocksAcknowledged(): number {
    return Math.max(0, this.#acked);
  }

  /** Highest block acknowledged: -1 while the OACK is unacknowledged, 0 before any data block. */
  get lastAcknowledged(): number {
    return this.#acked;
  }

  /**
   * The transport answered the in-order ACKs up to block `acked` itself, by onAck's rule (the
   * native data pump), the last window having gone out at `sentAt`: take them as if received.
   */
  acknowledged(acked: number, sentAt: number): void {
    if (this.#over || acked <= this.#acked || acked >= this.#blocks) return;
    this.#acked = acked;
    this.#retries = 0;
    this.#deadline = sentAt + this.#settings.timeoutMs;
  }

  /** Bytes the client has acknowledged. */
  get bytesAcknowledged(): number {
    return Math.max(0, Math.min(this.#source.size, this.#acked * this.#settings.blockSize));
  }

  start(now: number): Step {
    return { send: this.#window(now) };
  }

  onPacket(packet: TftpPacket, now: number): Step {
    if (this.#over) return NOTHING;
    if (packet.op === "ACK") return this.onAck(packet.block, now);
    if (packet.op === "ERROR") {
      this.#over = true;
      return {
        send: [],
        done: { result: "aborted", detail: `client error ${packet.code}: ${packet.message}` },
      };
    }
    this.#over = true;
    return {
      send: [encodeError(TFTP_ERROR.illegalOperation, "expected an ACK")],
      done: { result: "aborted", detail: `unexpected ${packet.op} during transfer` },
    };
  }

  /** An ACK of wire block number `wireBlock` (0–65535): what onPacket does with it, without the packet object. */
  onAck(wireBlock: number, now: number): Step {
    if (this.#over) return NOTHING;
    // While the OACK is outstanding only its ACK (block 0) counts.
    const sentUpTo = this.#acked < 0 ? 0 : Math.min(this.#acked + this.#settings.windowSize, this.#blocks);
    // The acknowledged block as a full count: the one at or after #acked whose low 16 bits match.
    const block = this.#acked + ((wireBlock - this.#acked) & 0xffff);
    // A repeated ACK (block === #acked) or one for a block never sent changes nothing and sends
    // nothing: answering it is what makes the sorcerer's apprentice transfer every block twice.
    if (block === this.#acked || block > sentUpTo) return NOTHING;
    this.#acked = block;
    this.#retries = 0;
    if (block === this.#blocks) {
      this.#over = true;
      return { send: [], done: { result: "complete" } };
    }
    return { send: this.#window(now) };
  }

  /** The timer ran out: the window again, or the end after too many tries. */
  onTimeout(now: number): Step {
    if (this.#over || now < this.#deadline) return NOTHING;
    if (this.#retries >= this.#settings.maxRetries) {
      this.#over = true;
      return {
        send: [encodeError(TFTP_ERROR.undefined, "timed out")],
        done: { result: "timeout", detail: `no acknowledgement after ${this.#retries + 1} tries` },
      };
    }
    this.#retries++;
    return { send: this.#window(now) };
  }

  /** The OACK while it is unacknowledged, else the blocks after the last acknowledged one. */
  #window(now: number): Uint8Array[] {
    this.#deadline = now + this.#settings.timeoutMs;
    if (this.#acked < 0) return [encodeOack(this.#settings.oack)];
    const { blockSize, windowSize } = this.#settings;
    const last = Math.min(this.#acked + windowSize, this.#blocks);
    const out: Uint8Array[] = [];
    const source = this.#source;
    for (let block = this.#acked + 1; block <= last; block++) {
      if (source.packet) {
        out.push(source.packet(block, blockSize));
        continue;
      }
      const offset = (block - 1) * blockSize;
      const length = Math.max(0, Math.min(blockSize, this.#source.size - offset));
      const packet = dataPacket(block, length);
      const copied = length === 0 ? 0 : this.#source.read(offset, length, packet, 4);
      out.push(copied === length ? packet : packet.subarray(0, 4 + copied));
    }
    return out;
  }
}

/** A source over bytes in memory (rendered templates, tests). */
export function bytesSource(bytes: Uint8Array): BlockSource {
  return {
    size: bytes.length,
    bytes,
    read(offset, length, target, at) {
      const part = bytes.subarray(offset, offset + length);
      target.set(part, at);
      return part.length;
    },
  };
}

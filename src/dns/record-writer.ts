/**
 * Encodes Site records to wire format, off the hot path (once per Site). Compression policy:
 * owner names and the RFC 1035 names inside CNAME, NS, PTR, MX and SOA RDATA point at earlier
 * occurrences (the question included); SRV targets are never compressed (RFC 2782) but later names
 * may point into them. Names are validated by wireString before any byte is written.
 */
import ipaddr from "ipaddr.js";
import { parseIpv4 } from "../config/ipv4.js";
import type { RecordData, ResourceRecord } from "../config/site.js";
import { CLASS_IN, TYPE, wireString } from "./wire.js";

/** Highest offset a compression pointer can reach. */
const POINTER_LIMIT = 0x3fff;

export class WireWriter {
  #bytes: Buffer = Buffer.allocUnsafe(512);
  #length = 0;
  #base: number;
  #compression: boolean;
  /** Name suffix in wire form (latin1, one character per octet) → absolute message offset. */
  readonly #names = new Map<string, number>();

  /**
   * @param base absolute message offset of this writer's first byte
   * @param compression false when the final position is not known: every name written in full
   */
  constructor(base: number, compression = true) {
    this.#base = base;
    this.#compression = compression;
  }

  /** Starts a new message body, keeping the allocated space (one writer serves a whole zone compile). */
  reset(base: number, compression = true): void {
    this.#base = base;
    this.#compression = compression;
    this.#length = 0;
    this.#names.clear();
  }

  get length(): number {
    return this.#length;
  }

  /** Registers a name already present in the message (the question) as a pointer target. */
  knowName(name: string, offset: number): void {
    const wire = wireString(name);
    for (
      let at = 0;
      wire.charCodeAt(at) !== 0 && offset + at <= POINTER_LIMIT;
      at += wire.charCodeAt(at) + 1
    ) {
      const suffix = wire.slice(at);
      if (!this.#names.has(suffix)) this.#names.set(suffix, offset + at);
    }
  }

  #room(n: number): void {
    if (this.#length + n <= this.#bytes.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#length + n));
    this.#bytes.copy(next, 0, 0, this.#length);
    this.#bytes = next;
  }

  /** Octets given as a latin1 string, characters [from, to). */
  #latin1(text: string, from: number, to: number): void {
    this.#room(to - from);
    const bytes = this.#bytes;
    let at = this.#length;
    for (let i = from; i < to; i++) bytes[at++] = text.charCodeAt(i);
    this.#length = at;
  }

  u8(v: number): void {
    this.#room(1);
    this.#bytes[this.#length++] = v & 0xff;
  }

  u16(v: number): void {
    this.#room(2);
    this.#bytes.writeUInt16BE(v & 0xffff, this.#length);
    this.#length += 2;
  }

  u32(v: number): void {
    this.#room(4);
    this.#bytes.writeUInt32BE(v >>> 0, this.#length);
    this.#length += 4;
  }

  raw(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  setU16(at: number, v: number): void {
    this.#bytes.writeUInt16BE(v & 0xffff, at);
  }

  /** Writes a name, pointing at an earlier copy of its longest known suffix when `compress`. */
  name(name: string, compress: boolean): void {
    const wire = wireString(name); // validates labels and length, throws on a bad name
    if (this.#compression) {
      for (let at = 0; wire.charCodeAt(at) !== 0; at += wire.charCodeAt(at) + 1) {
        const suffix = wire.slice(at);
        const known = compress ? this.#names.get(suffix) : undefined;
        if (known !== undefined) {
          this.#latin1(wire, 0, at);
          this.u16(0xc000 | known);
          return;
        }
        const here = this.#base + this.#length + at;
        if (here <= POINTER_LIMIT && !this.#names.has(suffix)) this.#names.set(suffix, here);
      }
    }
    this.#latin1(wire, 0, wire.length);
  }

  /** A whole resource record; the owner is always compressible. */
  record(owner: string, ttl: number, data: RecordData): void {
    this.name(owner, true);
    this.u16(typeOf(data));
    this.u16(CLASS_IN);
    this.u32(ttl);
    const lengthAt = this.#length;
    this.u16(0);
    this.rdata(data);
    this.setU16(lengthAt, this.#length - lengthAt - 2);
  }

  rdata(data: RecordData): void {
    switch (data.type) {
      case "A": {
        const v = parseIpv4(data.address);
        if (v === undefined) throw new Error(`invalid IPv4 address "${data.address}"`);
        this.u32(v);
        return;
      }
      case "AAAA":
        this.raw(Uint8Array.from(ipaddr.IPv6.parse(data.address).toByteArray()));
        return;
      case "CNAME":
      case "PTR":
        this.name(data.target, true);
        return;
      case "NS":
        this.name(data.host, true);
        return;
      case "MX":
        this.u16(data.preference);
        this.name(data.exchange, true);
        return;
      case "SRV":
        this.u16(data.priority);
        this.u16(data.weight);
        this.u16(data.port);
        this.name(data.target, false);
        return;
      case "TXT":
        for (const text of data.strings) {
          const bytes = Buffer.from(text, "utf8");
          // Character-strings hold at most 255 octets: longer texts are split, empty ones kept.
          if (bytes.length === 0) this.u8(0);
          for (let i = 0; i < bytes.length; i += 255) {
            const part = bytes.subarray(i, i + 255);
            this.u8(part.length);
            this.raw(part);
          }
        }
        if (data.strings.length === 0) this.u8(0);
        return;
      case "SOA":
        this.name(data.mname, true);
        this.name(data.rname, true);
        this.u32(data.serial);
        this.u32(data.refresh);
        this.u32(data.retry);
        this.u32(data.expire);
        this.u32(data.minimum);
        return;
    }
  }

  bytes(): Buffer {
    return Buffer.from(this.#bytes.subarray(0, this.#length));
  }
}

export function typeOf(data: RecordData): number {
  return TYPE[data.type];
}

/** Convenience for tests: a record with the data's own owner. */
export function encodeRecord(rr: ResourceRecord, base = 12): Buffer {
  const w = new WireWriter(base);
  w.record(rr.name, rr.ttl, rr.data);
  return w.bytes();
}

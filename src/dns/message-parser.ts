/**
 * A full, defensive DNS message parser for messages we did not write: upstream answers relayed by
 * the forwarder, and replies checked by the tests. Every read is bounds-checked, compression
 * pointers must point strictly backwards and their chains are bounded, and record counts are checked
 * against the bytes available before any loop runs, so a crafted 40-byte packet costs microseconds
 * and returns an error value instead of throwing.
 */
import ipaddr from "ipaddr.js";
import { HEADER_LENGTH, MAX_NAME_OCTETS, TYPE } from "./wire.js";

export type Section = "answer" | "authority" | "additional";

export interface ParsedQuestion {
  /** Presentation form without the trailing dot, case as sent. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** Byte range of the question in the message. */
  readonly start: number;
  readonly end: number;
}

export interface ParsedRecord {
  readonly section: Section;
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  /** Where the 32-bit TTL sits in the message (for rewriting TTLs of cached answers). */
  readonly ttlOffset: number;
  readonly rdataOffset: number;
  readonly rdlength: number;
}

export interface ParsedOpt {
  readonly udpSize: number;
  readonly extendedRcode: number;
  readonly version: number;
  readonly flags: number;
}

export interface ParsedMessage {
  readonly id: number;
  readonly flags: number;
  /** Full RCODE: header bits plus the OPT's extended bits. */
  readonly rcode: number;
  readonly questions: readonly ParsedQuestion[];
  readonly answers: readonly ParsedRecord[];
  readonly authorities: readonly ParsedRecord[];
  readonly additionals: readonly ParsedRecord[];
  readonly opt?: ParsedOpt;
}

export type ParseResult =
  | { readonly ok: true; readonly message: ParsedMessage }
  | { readonly ok: false; readonly error: string };

/** Smallest encodings: a question is 5 octets (root name + type + class), a record 11. */
const MIN_QUESTION = 5;
const MIN_RECORD = 11;
const MAX_POINTER_HOPS = 64;

type NameResult = { name: string; next: number } | { error: string };

/** Reads a possibly compressed name at `start`; `next` is the offset after it in the original flow. */
export function readName(msg: Uint8Array, start: number): NameResult {
  let pos = start;
  let next = -1;
  let hops = 0;
  let octets = 0;
  let name = "";
  // Pointers must point before the label sequence that contains them: no loops possible, and the
  // hop count bounds the work anyway.
  let floor = start;
  for (;;) {
    if (pos >= msg.length) return { error: `name at offset ${start} runs past the end of the message` };
    const len = msg[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) return { error: `truncated compression pointer at offset ${pos}` };
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (target >= floor) return { error: `compression pointer at offset ${pos} does not point backwards` };
      if (++hops > MAX_POINTER_HOPS)
        return { error: `too many compression pointers in the name at offset ${start}` };
      if (next < 0) next = pos + 2;
      floor = target;
      pos = target;
      continue;
    }
    if (len & 0xc0) return { error: `unsupported label type 0x${len.toString(16)} at offset ${pos}` };
    octets += len + 1;
    if (octets > MAX_NAME_OCTETS) return { error: `name at offset ${start} is longer than 255 octets` };
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name, next };
    }
    if (pos + 1 + len > msg.length)
      return { error: `label at offset ${pos} runs past the end of the message` };
    if (name !== "") name += ".";
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = msg[i]!;
      if (c === 0x2e || c === 0x5c) name += `\\${String.fromCharCode(c)}`;
      else if (c > 0x20 && c < 0x7f) name += String.fromCharCode(c);
      else name += `\\${String(c).padStart(3, "0")}`;
    }
    pos += len + 1;
  }
}

function u16(msg: Uint8Array, at: number): number {
  return (msg[at]! << 8) | msg[at + 1]!;
}

function u32(msg: Uint8Array, at: number): number {
  return ((msg[at]! << 24) | (msg[at + 1]! << 16) | (msg[at + 2]! << 8) | msg[at + 3]!) >>> 0;
}

export function parseMessage(msg: Uint8Array): ParseResult {
  if (msg.length < HEADER_LENGTH)
    return { ok: false, error: `message is ${msg.length} octets; a header needs 12` };
  const qd = u16(msg, 4);
  const an = u16(msg, 6);
  const ns = u16(msg, 8);
  const ar = u16(msg, 10);
  const room = msg.length - HEADER_LENGTH;
  if (qd * MIN_QUESTION + (an + ns + ar) * MIN_RECORD > room) {
    return {
      ok: false,
      error: `section counts (${qd}/${an}/${ns}/${ar}) need more octets than the message holds`,
    };
  }
  let pos = HEADER_LENGTH;
  const questions: ParsedQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const n = readName(msg, pos);
    if ("error" in n) return { ok: false, error: `question ${i + 1}: ${n.error}` };
    if (n.next + 4 > msg.length) return { ok: false, error: `question ${i + 1} is truncated` };
    questions.push({
      name: n.name,
      type: u16(msg, n.next),
      class: u16(msg, n.next + 2),
      start: pos,
      end: n.next + 4,
    });
    pos = n.next + 4;
  }
  const sections: ParsedRecord[][] = [[], [], []];
  const names: Section[] = ["answer", "authority", "additional"];
  const counts = [an, ns, ar];
  let opt: ParsedOpt | undefined;
  for (let s = 0; s < 3; s++) {
    const section = names[s]!;
    const list = sections[s]!;
    for (let i = 0; i < counts[s]!; i++) {
      const n = readName(msg, pos);
      if ("error" in n) return { ok: false, error: `${section} record ${i + 1}: ${n.error}` };
      const at = n.next;
      if (at + 10 > msg.length) return { ok: false, error: `${section} record ${i + 1} is truncated` };
      const type = u16(msg, at);
      const rdlength = u16(msg, at + 8);
      if (at + 10 + rdlength > msg.length) {
        return { ok: false, error: `${section} record ${i + 1}: RDATA runs past the end of the message` };
      }
      const record: ParsedRecord = {
        section,
        name: n.name,
        type,
        class: u16(msg, at + 2),
        ttl: u32(msg, at + 4),
        ttlOffset: at + 4,
        rdataOffset: at + 10,
        rdlength,
      };
      if (type === TYPE.OPT) {
        if (section !== "additional" || opt !== undefined || n.name !== "") {
          return { ok: false, error: "OPT record misplaced, repeated or not owned by the root" };
        }
        opt = {
          udpSize: record.class,
          extendedRcode: msg[at + 4]!,
          version: msg[at + 5]!,
          flags: u16(msg, at + 6),
        };
      } else {
        list.push(record);
      }
      pos = at + 10 + rdlength;
    }
  }
  const flags = u16(msg, 2);
  const rcode = (flags & 0x0f) | ((opt?.extendedRcode ?? 0) << 4);
  const message: ParsedMessage = {
    id: u16(msg, 0),
    flags,
    rcode,
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
    ...(opt ? { opt } : {}),
  };
  return { ok: true, message };
}

/** SOA MINIMUM of a parsed SOA record (RFC 2308 negative caching), or undefined when malformed. */
export function soaMinimum(msg: Uint8Array, record: ParsedRecord): number | undefined {
  if (record.type !== TYPE.SOA) return undefined;
  const mname = readName(msg, record.rdataOffset);
  if ("error" in mname) return undefined;
  const rname = readName(msg, mname.next);
  if ("error" in rname) return undefined;
  const end = record.rdataOffset + record.rdlength;
  if (rname.next + 20 !== end) return undefined;
  return u32(msg, rname.next + 16);
}

/**
 * The answer section's data in presentation form joined by ", " (for events); undefined when
 * there is none or a record cannot be shown (a malformed name inside RDATA).
 */
export function answersText(msg: Uint8Array, message: ParsedMessage): string | undefined {
  if (message.answers.length === 0) return undefined;
  try {
    return message.answers.map((record) => rdataText(msg, record)).join(", ");
  } catch {
    return undefined;
  }
}

/** Presentation form of common RDATA (tests and diagnostics); other types as RFC 3597 hex. */
export function rdataText(msg: Uint8Array, record: ParsedRecord): string {
  const at = record.rdataOffset;
  const end = at + record.rdlength;
  const name = (offset: number): { name: string; next: number } => {
    const n = readName(msg, offset);
    if ("error" in n) throw new Error(n.error);
    return n;
  };
  switch (record.type) {
    case TYPE.A:
      if (record.rdlength !== 4) break;
      return `${msg[at]}.${msg[at + 1]}.${msg[at + 2]}.${msg[at + 3]}`;
    case TYPE.AAAA:
      if (record.rdlength !== 16) break;
      return ipaddr.fromByteArray(Array.from(msg.subarray(at, end))).toString();
    case TYPE.CNAME:
    case TYPE.NS:
    case TYPE.PTR:
      return `${name(at).name}.`;
    case TYPE.MX:
      return `${u16(msg, at)} ${name(at + 2).name}.`;
    case TYPE.SRV:
      return `${u16(msg, at)} ${u16(msg, at + 2)} ${u16(msg, at + 4)} ${name(at + 6).name}.`;
    case TYPE.SOA: {
      const m = name(at);
      const r = name(m.next);
      const p = r.next;
      const nums = [0, 4, 8, 12, 16].map((o) => u32(msg, p + o));
      return `${m.name}. ${r.name}. ${nums.join(" ")}`;
    }
    case TYPE.TXT: {
      const parts: string[] = [];
      let p = at;
      while (p < end) {
        const len = msg[p]!;
        parts.push(JSON.stringify(Buffer.from(msg.subarray(p + 1, p + 1 + len)).toString("utf8")));
        p += 1 + len;
      }
      return parts.join(" ");
    }
  }
  return `\\# ${record.rdlength} ${Buffer.from(msg.subarray(at, end)).toString("hex")}`;
}

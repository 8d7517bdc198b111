/**
 * Reply assembly on the hot path: one allocation per reply, the question copied raw from the query
 * (0x20 mixed case preserved), precompiled sections copied in, ID and flags patched.
 */
import type { CompiledAnswer } from "./authority.js";
import type { ParsedQuery } from "./query-parser.js";
import { HEADER_LENGTH, MAX_UDP_PAYLOAD, TYPE } from "./wire.js";

/** Our OPT record: root owner, type 41, our payload size, no options. */
export const OPT_LENGTH = 11;

export interface ReplyFlags {
  readonly aa: boolean;
  readonly tc: boolean;
  readonly ra: boolean;
}

/** Flags word: QR, the query's opcode and RD, our AA/TC/RA and the low 4 bits of the RCODE. */
function writeFlags(
  out: Buffer,
  query: Uint8Array,
  aa: boolean,
  tc: boolean,
  ra: boolean,
  rcode: number,
): void {
  out[2] = 0x80 | (query[2]! & 0x79) | (aa ? 0x04 : 0) | (tc ? 0x02 : 0);
  out[3] = (ra ? 0x80 : 0) | (rcode & 0x0f);
}

function writeCounts(out: Buffer, qd: number, an: number, ns: number, ar: number): void {
  out[4] = qd >> 8;
  out[5] = qd & 0xff;
  out[6] = an >> 8;
  out[7] = an & 0xff;
  out[8] = ns >> 8;
  out[9] = ns & 0xff;
  out[10] = ar >> 8;
  out[11] = ar & 0xff;
}

export function writeOpt(out: Buffer, at: number, extendedRcode: number): void {
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = TYPE.OPT;
  out[at + 3] = MAX_UDP_PAYLOAD >> 8;
  out[at + 4] = MAX_UDP_PAYLOAD & 0xff;
  out[at + 5] = extendedRcode & 0xff;
  out[at + 6] = 0;
  out[at + 7] = 0;
  out[at + 8] = 0;
  out[at + 9] = 0;
  out[at + 10] = 0;
}

function copyQuestion(out: Buffer, query: Uint8Array, end: number): void {
  for (let i = HEADER_LENGTH; i < end; i++) out[i] = query[i]!;
}

/** Header only (FORMERR, NOTIMP, errors before the question was understood). */
export function headerOnlyReply(query: Uint8Array, rcode: number, tc = false): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH);
  out[0] = query[0]!;
  out[1] = query[1]!;
  writeFlags(out, query, false, tc, false, rcode);
  writeCounts(out, 0, 0, 0, 0);
  return out;
}

/** Header, the question, and our OPT when the query had one (extended RCODE bits in it). */
export function questionReply(
  query: Uint8Array,
  end: number,
  edns: boolean,
  rcode: number,
  flags: ReplyFlags,
): Buffer {
  const out = Buffer.allocUnsafe(end + (edns ? OPT_LENGTH : 0));
  out[0] = query[0]!;
  out[1] = query[1]!;
  writeFlags(out, query, flags.aa, flags.tc, flags.ra, rcode);
  writeCounts(out, 1, 0, 0, edns ? 1 : 0);
  copyQuestion(out, query, end);
  if (edns) writeOpt(out, end, rcode >> 4);
  return out;
}

/**
 * A compiled answer within `budget` octets: complete if it fits; else without the additional
 * section (RFC 2181 §9: no TC for that); else TC=1 with the question (and OPT) only.
 */
export function compiledReply(
  query: Uint8Array,
  q: ParsedQuery,
  answer: CompiledAnswer,
  budget: number,
  ra: boolean,
): Buffer {
  const end = q.questionEnd;
  const opt = q.edns ? OPT_LENGTH : 0;
  let bodyLength = answer.body.length;
  let arcount = answer.arcount;
  if (end + bodyLength + opt > budget) {
    bodyLength = answer.bodyWithoutAdditional;
    arcount = 0;
    if (end + bodyLength + opt > budget) {
      return questionReply(query, end, q.edns, answer.rcode, { aa: true, tc: true, ra });
    }
  }
  const out = Buffer.allocUnsafe(end + bodyLength + opt);
  out[0] = query[0]!;
  out[1] = query[1]!;
  writeFlags(out, query, true, false, ra, answer.rcode);
  writeCounts(out, 1, answer.ancount, answer.nscount, arcount + (opt ? 1 : 0));
  copyQuestion(out, query, end);
  answer.body.copy(out, end, 0, bodyLength);
  if (answer.originPointerAt >= 0) {
    // Aim the SOA owner at the zone origin's octets inside the echoed question.
    const origin = HEADER_LENGTH + q.nameLength - answer.originWireLength;
    out[end + answer.originPointerAt] = 0xc0 | (origin >> 8);
    out[end + answer.originPointerAt + 1] = origin & 0xff;
  }
  if (opt) writeOpt(out, end + bodyLength, 0);
  return out;
}

/** An upstream or cached response within budget: as is, or TC=1 with the question (and OPT). */
export function relayedReply(
  response: Buffer,
  query: Uint8Array,
  questionEnd: number,
  edns: boolean,
  budget: number,
): Buffer {
  if (response.length <= budget) return response;
  return questionReply(query, questionEnd, edns, response[3]! & 0x0f, { aa: false, tc: true, ra: true });
}

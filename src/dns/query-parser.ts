/**
 * The hot-path query parser: the header, the single question and an optional OPT record, nothing
 * else. It writes into a reusable ParsedQuery (no allocation per packet) and never throws: every
 * read is bounds-checked and the loops are bounded by the packet length.
 */
import { CLASSIC_UDP_PAYLOAD, HEADER_LENGTH, lowerAscii, MAX_NAME_OCTETS, TYPE } from "./wire.js";

/** What the gate decided. The order of the checks is the order of these codes' tests below. */
export const QueryStatus = {
  OK: 0,
  /** Not answered at all: a response (QR=1) or a packet shorter than a header. */
  DROP: 1,
  /** Opcode other than QUERY. */
  NOTIMP: 2,
  /** Wrong section counts, compression in the question, a malformed name or OPT. */
  FORMERR: 3,
  /** EDNS version other than 0. */
  BADVERS: 4,
} as const;
export type QueryStatus = (typeof QueryStatus)[keyof typeof QueryStatus];

export class ParsedQuery {
  id = 0;
  /** The query's 16-bit flags word. */
  flags = 0;
  opcode = 0;
  qtype = 0;
  qclass = 0;
  /** Octets of the question name on the wire, root label included. */
  nameLength = 0;
  /** Offset just past the question (12 + nameLength + 4). */
  questionEnd = 0;
  /** Offset just past the last parsed record (the question or the OPT): trailing octets are ignored. */
  messageEnd = 0;
  edns = false;
  ednsVersion = 0;
  /** Requestor's UDP payload size (RFC 6891: values below 512 count as 512). */
  udpSize = CLASSIC_UDP_PAYLOAD;
  dnssecOk = false;
  /** Lowercased question name (wire form) followed by the 2 qtype octets: the lookup key. */
  readonly key: Buffer = Buffer.alloc(MAX_NAME_OCTETS + 2);

  /** The lookup key as a string (name + qtype), or only the name with `withType` false. */
  keyString(withType = true): string {
    return this.key.toString("latin1", 0, withType ? this.nameLength + 2 : this.nameLength);
  }
}

export function parseQuery(msg: Uint8Array, q: ParsedQuery): QueryStatus {
  const length = msg.length;
  if (length < HEADER_LENGTH) return QueryStatus.DROP;
  const flags = (msg[2]! << 8) | msg[3]!;
  if (flags & 0x8000) return QueryStatus.DROP;
  q.id = (msg[0]! << 8) | msg[1]!;
  q.flags = flags;
  q.opcode = (flags >> 11) & 0x0f;
  q.edns = false;
  q.ednsVersion = 0;
  q.udpSize = CLASSIC_UDP_PAYLOAD;
  q.dnssecOk = false;
  q.nameLength = 0;
  q.questionEnd = 0;
  q.messageEnd = 0;
  if (q.opcode !== 0) return QueryStatus.NOTIMP;
  const qdcount = (msg[4]! << 8) | msg[5]!;
  const ancount = (msg[6]! << 8) | msg[7]!;
  const nscount = (msg[8]! << 8) | msg[9]!;
  const arcount = (msg[10]! << 8) | msg[11]!;
  if (qdcount !== 1 || ancount !== 0 || nscount !== 0 || arcount > 1) return QueryStatus.FORMERR;

  // Question name: plain labels only (no compression pointers, no extended label types).
  const key = q.key;
  let pos = HEADER_LENGTH;
  let k = 0;
  for (;;) {
    if (pos >= length) return QueryStatus.FORMERR;
    const len = msg[pos]!;
    if (len === 0) {
      key[k++] = 0;
      pos++;
      break;
    }
    if (len > 63) return QueryStatus.FORMERR;
    if (k + len + 2 > MAX_NAME_OCTETS || pos + len >= length) return QueryStatus.FORMERR;
    key[k++] = len;
    pos++;
    const end = pos + len;
    while (pos < end) key[k++] = lowerAscii(msg[pos++]!);
  }
  if (pos + 4 > length) return QueryStatus.FORMERR;
  q.nameLength = k;
  key[k] = msg[pos]!;
  key[k + 1] = msg[pos + 1]!;
  q.qtype = (msg[pos]! << 8) | msg[pos + 1]!;
  q.qclass = (msg[pos + 2]! << 8) | msg[pos + 3]!;
  pos += 4;
  q.questionEnd = pos;
  q.messageEnd = pos;

  if (arcount === 1) {
    // The one additional record allowed is an OPT owned by the root.
    if (pos + 11 > length || msg[pos] !== 0) return QueryStatus.FORMERR;
    const type = (msg[pos + 1]! << 8) | msg[pos + 2]!;
    if (type !== TYPE.OPT) return QueryStatus.FORMERR;
    const size = (msg[pos + 3]! << 8) | msg[pos + 4]!;
    const version = msg[pos + 6]!;
    const ednsFlags = (msg[pos + 7]! << 8) | msg[pos + 8]!;
    const rdlength = (msg[pos + 9]! << 8) | msg[pos + 10]!;
    pos += 11;
    if (pos + rdlength > length) return QueryStatus.FORMERR;
    // Options must tile the RDATA exactly.
    const end = pos + rdlength;
    while (pos < end) {
      if (pos + 4 > end) return QueryStatus.FORMERR;
      pos += 4 + ((msg[pos + 2]! << 8) | msg[pos + 3]!);
    }
    if (pos !== end) return QueryStatus.FORMERR;
    q.messageEnd = end;
    q.edns = true;
    q.ednsVersion = version;
    q.udpSize = Math.max(size, CLASSIC_UDP_PAYLOAD);
    q.dnssecOk = (ednsFlags & 0x8000) !== 0;
    if (version !== 0) return QueryStatus.BADVERS;
  }
  return QueryStatus.OK;
}

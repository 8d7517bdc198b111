/**
 * Encodes a standard query: for tests, the benchmark and diagnostics (e.g. a probe command).
 * The name is written as given (case kept, so 0x20 mixed case can be tested).
 */
import { CLASS_IN, MAX_LABEL_OCTETS, MAX_NAME_OCTETS, TYPE } from "./wire.js";

export interface QueryOptions {
  readonly id?: number;
  /** Presentation form; a trailing dot is optional. */
  readonly name: string;
  readonly type?: number;
  readonly class?: number;
  /** Recursion desired (default true, as stub resolvers send). */
  readonly rd?: boolean;
  readonly opcode?: number;
  /** Adds an OPT record. */
  readonly edns?: { readonly udpSize?: number; readonly version?: number; readonly dnssecOk?: boolean };
}

export function encodeQuery(options: QueryOptions): Buffer {
  const name = options.name.endsWith(".") ? options.name.slice(0, -1) : options.name;
  const labels = name === "" ? [] : name.split(".").map((l) => Buffer.from(l, "utf8"));
  const nameLength = labels.reduce((n, l) => n + l.length + 1, 1);
  if (nameLength > MAX_NAME_OCTETS || labels.some((l) => l.length === 0 || l.length > MAX_LABEL_OCTETS)) {
    throw new Error(`cannot encode the name "${options.name}"`);
  }
  const edns = options.edns;
  const out = Buffer.alloc(12 + nameLength + 4 + (edns ? 11 : 0));
  out.writeUInt16BE(options.id ?? 0x1234, 0);
  out.writeUInt16BE(((options.opcode ?? 0) << 11) | (options.rd === false ? 0 : 0x0100), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(edns ? 1 : 0, 10);
  let pos = 12;
  for (const label of labels) {
    out[pos++] = label.length;
    label.copy(out, pos);
    pos += label.length;
  }
  out[pos++] = 0;
  out.writeUInt16BE(options.type ?? TYPE.A, pos);
  out.writeUInt16BE(options.class ?? CLASS_IN, pos + 2);
  pos += 4;
  if (edns) {
    out[pos] = 0;
    out.writeUInt16BE(TYPE.OPT, pos + 1);
    out.writeUInt16BE(edns.udpSize ?? 1232, pos + 3);
    out[pos + 5] = 0;
    out[pos + 6] = edns.version ?? 0;
    out.writeUInt16BE(edns.dnssecOk ? 0x8000 : 0, pos + 7);
    out.writeUInt16BE(0, pos + 9);
  }
  return out;
}

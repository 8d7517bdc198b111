/**
 * TFTP packets (RFC 1350) with the option extension (RFC 2347): bytes ⇄ typed packets. The decoder
 * returns an error value for anything malformed and never throws.
 */

export const OPCODE = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** RFC 1350 error codes (8: RFC 2347 option negotiation refused). */
export const TFTP_ERROR = {
  undefined: 0,
  notFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTid: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionsRefused: 8,
} as const;

export type TftpPacket =
  | {
      readonly op: "RRQ" | "WRQ";
      readonly filename: string;
      readonly mode: string;
      /** Option names lowercase, in the order sent; a repeated option keeps its first value. */
      readonly options: ReadonlyMap<string, string>;
    }
  | { readonly op: "DATA"; readonly block: number; readonly data: Uint8Array }
  | { readonly op: "ACK"; readonly block: number }
  | { readonly op: "ERROR"; readonly code: number; readonly message: string }
  | { readonly op: "OACK"; readonly options: ReadonlyMap<string, string> };

export type DecodeResult =
  | { readonly ok: true; readonly packet: TftpPacket }
  | { readonly ok: false; readonly error: string };

/** Longest request the server reads (a filename, a mode and a handful of options). */
export const MAX_REQUEST_BYTES = 1024;

const latin1 = new TextDecoder("latin1");

export function decodeTftp(bytes: Uint8Array): DecodeResult {
  if (bytes.length < 4) return fail("shorter than 4 bytes");
  const op = (bytes[0] as number) * 256 + (bytes[1] as number);
  switch (op) {
    case OPCODE.RRQ:
    case OPCODE.WRQ:
      return decodeRequest(bytes, op === OPCODE.RRQ ? "RRQ" : "WRQ");
    case OPCODE.DATA:
      return ok({ op: "DATA", block: word(bytes, 2), data: bytes.subarray(4) });
    case OPCODE.ACK:
      if (bytes.length !== 4) return fail("ACK is not 4 bytes");
      return ok({ op: "ACK", block: word(bytes, 2) });
    case OPCODE.ERROR: {
      const strings = nulTerminated(bytes, 4);
      if (!strings || strings.length < 1) return fail("ERROR message is not NUL-terminated");
      return ok({ op: "ERROR", code: word(bytes, 2), message: strings[0] as string });
    }
    case OPCODE.OACK: {
      const strings = nulTerminated(bytes, 2);
      if (!strings || strings.length % 2 !== 0) return fail("OACK options are not name/value pairs");
      return ok({ op: "OACK", options: optionMap(strings, 0) });
    }
    default:
      return fail(`unknown opcode ${op}`);
  }
}

function decodeRequest(bytes: Uint8Array, op: "RRQ" | "WRQ"): DecodeResult {
  if (bytes.length > MAX_REQUEST_BYTES) return fail(`request longer than ${MAX_REQUEST_BYTES} bytes`);
  const strings = nulTerminated(bytes, 2);
  if (!strings || strings.length < 2) return fail("request needs a NUL-terminated filename and mode");
  if (strings.length % 2 !== 0) return fail("request options are not name/value pairs");
  const [filename, mode] = strings as [string, string];
  return ok({ op, filename, mode: mode.toLowerCase(), options: optionMap(strings, 2) });
}

/** The NUL-terminated strings from `start` to the end; undefined when the last one lacks its NUL. */
function nulTerminated(bytes: Uint8Array, start: number): string[] | undefined {
  const out: string[] = [];
  let from = start;
  while (from < bytes.length) {
    const nul = bytes.indexOf(0, from);
    if (nul < 0) return undefined;
    out.push(latin1.decode(bytes.subarray(from, nul)));
    from = nul + 1;
  }
  return out;
}

function optionMap(strings: readonly string[], from: number): Map<string, string> {
  const options = new Map<string, string>();
  for (let i = from; i + 1 < strings.length; i += 2) {
    const name = (strings[i] as string).toLowerCase();
    if (!options.has(name)) options.set(name, strings[i + 1] as string);
  }
  return options;
}

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) * 256 + (bytes[at + 1] as number);
}

function ok(packet: TftpPacket): DecodeResult {
  return { ok: true, packet };
}

function fail(error: string): DecodeResult {
  return { ok: false, error };
}

// ---------------------------------------------------------------------------------------------
// Encoders

/** A DATA packet: 4-byte header and `length` bytes to be filled by the caller from offset 4. */
export function dataPacket(block: number, length: number): Buffer {
  const packet = Buffer.allocUnsafe(4 + length);
  packet[0] = 0;
  packet[1] = OPCODE.DATA;
  packet.writeUInt16BE(block & 0xffff, 2);
  return packet;
}

export function encodeAck(block: number): Buffer {
  const packet = Buffer.alloc(4);
  packet[1] = OPCODE.ACK;
  packet.writeUInt16BE(block & 0xffff, 2);
  return packet;
}

export function encodeError(code: number, message: string): Buffer {
  const text = Buffer.from(message.replace(/\0/g, ""), "latin1");
  const packet = Buffer.alloc(5 + text.length);
  packet[1] = OPCODE.ERROR;
  packet.writeUInt16BE(code & 0xffff, 2);
  text.copy(packet, 4);
  return packet;
}

export function encodeOack(options: ReadonlyMap<string, string>): Buffer {
  return withStrings(OPCODE.OACK, [...options].flat());
}

export function encodeRequest(
  op: "RRQ" | "WRQ",
  filename: string,
  mode: string,
  options: ReadonlyMap<string, string> = new Map(),
): Buffer {
  return withStrings(op === "RRQ" ? OPCODE.RRQ : OPCODE.WRQ, [filename, mode, ...[...options].flat()]);
}

function withStrings(op: number, strings: readonly string[]): Buffer {
  const parts = strings.map((s) => Buffer.from(`${s}\0`, "latin1"));
  return Buffer.concat([Buffer.from([0, op]), ...parts]);
}

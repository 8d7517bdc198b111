import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeTftp,
  encodeAck,
  encodeError,
  encodeOack,
  encodeRequest,
  MAX_REQUEST_BYTES,
  TFTP_ERROR,
} from "./tftp-packet.js";

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? [...Buffer.from(p, "latin1")] : p)));

/** Text without NUL, as a TFTP string must be. */
const text = fc.string({ minLength: 1, maxLength: 40 }).map((s) => s.replace(/\0/g, "x"));

describe("TFTP packet codec", () => {
  it("decodes a read request with options, names lowercased, first value of a repeated option kept", () => {
    const d = decodeTftp(bytes([0, 1], "phone.cfg\0OCTET\0BlkSize\x001468\0tsize\x000\0blksize\x00512\0"));
    expect(d).toEqual({
      ok: true,
      packet: {
        op: "RRQ",
        filename: "phone.cfg",
        mode: "octet",
        options: new Map([
          ["blksize", "1468"],
          ["tsize", "0"],
        ]),
      },
    });
  });

  it("refuses a request whose last string lacks its NUL, an option without a value, or too many bytes", () => {
    expect(decodeTftp(bytes([0, 1], "file\0octet")).ok).toBe(false);
    expect(decodeTftp(bytes([0, 1], "file\0octet\0blksize\0")).ok).toBe(false);
    expect(decodeTftp(bytes([0, 1], "file\0")).ok).toBe(false);
    expect(decodeTftp(bytes([0, 1], `${"a".repeat(MAX_REQUEST_BYTES)}\0octet\0`)).ok).toBe(false);
  });

  it("decodes ACK, DATA, ERROR and refuses short packets and unknown opcodes", () => {
    expect(decodeTftp(bytes([0, 4, 0xff, 0xfe]))).toEqual({ ok: true, packet: { op: "ACK", block: 65534 } });
    expect(decodeTftp(bytes([0, 4, 0, 1, 0])).ok).toBe(false);
    const data = decodeTftp(bytes([0, 3, 1, 0, 9, 8]));
    expect(data.ok && data.packet.op === "DATA" && [...data.packet.data]).toEqual([9, 8]);
    expect(decodeTftp(bytes([0, 5, 0, 1], "nope\0"))).toEqual({
      ok: true,
      packet: { op: "ERROR", code: 1, message: "nope" },
    });
    expect(decodeTftp(bytes([0, 3, 0])).ok).toBe(false);
    expect(decodeTftp(bytes([0, 7, 0, 0])).ok).toBe(false);
    expect(decodeTftp(bytes([1, 1], "f\0octet\0")).ok).toBe(false);
  });

  it("encodes ACK, ERROR and OACK as RFC 1350 and RFC 2347 lay them out", () => {
    expect([...encodeAck(65536 + 3)]).toEqual([0, 4, 0, 3]);
    expect([...encodeError(TFTP_ERROR.notFound, "File not found")]).toEqual([
      ...bytes([0, 5, 0, 1], "File not found\0"),
    ]);
    expect([...encodeOack(new Map([["blksize", "1468"]]))]).toEqual([...bytes([0, 6], "blksize\x001468\0")]);
  });

  it("decode(encode(request)) gives the request back", () => {
    fc.assert(
      fc.property(
        text,
        text,
        fc.uniqueArray(fc.tuple(text, text), { selector: ([k]) => k.toLowerCase(), maxLength: 5 }),
        (filename, mode, options) => {
          const encoded = encodeRequest("RRQ", filename, mode, new Map(options));
          fc.pre(encoded.length <= MAX_REQUEST_BYTES);
          const d = decodeTftp(encoded);
          expect(d.ok).toBe(true);
          if (!d.ok || d.packet.op !== "RRQ") return;
          expect(d.packet.filename).toBe(filename);
          expect(d.packet.mode).toBe(mode.toLowerCase());
          expect([...d.packet.options]).toEqual(options.map(([k, v]) => [k.toLowerCase(), v]));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never throws on arbitrary bytes, and accepts only packets with a known opcode", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (input) => {
        const d = decodeTftp(input);
        if (d.ok) expect([1, 2, 3, 4, 5, 6]).toContain((input[0] ?? 0) * 256 + (input[1] ?? 0));
        else expect(typeof d.error).toBe("string");
      }),
      { numRuns: 5000 },
    );
  });
});

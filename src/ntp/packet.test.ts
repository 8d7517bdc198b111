import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeNtpPacket, encodeNtpPacket, referenceIdFromText, referenceIdToText } from "./packet.js";

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const stamp = fc.record({ seconds: u32, fraction: u32 });
const packetArb = fc.record({
  leap: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
  version: fc.integer({ min: 0, max: 7 }),
  mode: fc.integer({ min: 0, max: 7 }),
  stratum: fc.integer({ min: 0, max: 255 }),
  poll: fc.integer({ min: -128, max: 127 }),
  precision: fc.integer({ min: -128, max: 127 }),
  rootDelay: u32,
  rootDispersion: u32,
  referenceId: u32,
  referenceTimestamp: stamp,
  originTimestamp: stamp,
  receiveTimestamp: stamp,
  transmitTimestamp: stamp,
});

describe("NTP packet codec", () => {
  it("decode(encode(p)) = p for every field value", () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const bytes = encodeNtpPacket(p);
        expect(bytes.length).toBe(48);
        const decoded = decodeNtpPacket(bytes);
        expect(decoded).toEqual({ ok: true, packet: { ...p, trailingLength: 0 } });
      }),
      { numRuns: 2000 },
    );
  });

  it("encode(decode(bytes)) reproduces the 48 header bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), (bytes) => {
        const decoded = decodeNtpPacket(bytes);
        if (!decoded.ok) throw new Error(decoded.error);
        expect([...encodeNtpPacket(decoded.packet)]).toEqual([...bytes]);
      }),
      { numRuns: 2000 },
    );
  });

  it("decodes a known client request", () => {
    const bytes = new Uint8Array(48);
    bytes[0] = 0x23; // LI 0, VN 4, mode 3
    bytes[2] = 6;
    bytes[3] = 0xec; // -20
    bytes.set([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0], 40);
    const d = decodeNtpPacket(bytes);
    expect(d.ok && d.packet).toMatchObject({
      leap: 0,
      version: 4,
      mode: 3,
      poll: 6,
      precision: -20,
      transmitTimestamp: { seconds: 0x12345678, fraction: 0x9abcdef0 },
    });
  });

  it("rejects short and misaligned packets with a clear error and accepts trailing fields", () => {
    expect(decodeNtpPacket(new Uint8Array(47))).toEqual({
      ok: false,
      error: "an NTP packet is at least 48 bytes, got 47",
    });
    expect(decodeNtpPacket(new Uint8Array(50))).toMatchObject({ ok: false });
    const withMac = decodeNtpPacket(new Uint8Array(68));
    expect(withMac.ok && withMac.packet.trailingLength).toBe(20);
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const d = decodeNtpPacket(bytes);
        expect(d.ok).toBe(bytes.length >= 48 && bytes.length % 4 === 0);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("reference IDs", () => {
  it("encodes ASCII codes left-justified and zero-padded, and dotted IPv4 as the address", () => {
    expect(referenceIdFromText("LOCL")).toBe(0x4c4f434c);
    expect(referenceIdFromText("GPS")).toBe(0x47505300);
    expect(referenceIdFromText("")).toBe(0);
    expect(referenceIdFromText("127.127.1.1")).toBe(0x7f7f0101);
    expect(referenceIdToText(0x52415445)).toBe("RATE");
    expect(referenceIdToText(0x47505300)).toBe("GPS");
  });
});

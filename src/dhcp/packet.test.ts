import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BOOTREQUEST, decodePacket, encodeHeader, MAGIC_COOKIE, OPTIONS_OFFSET } from "./packet.js";

function sample(): Uint8Array {
  const chaddr = new Uint8Array(16);
  chaddr.set([0, 4, 0xf2, 1, 2, 3]);
  const bytes = encodeHeader(
    {
      op: BOOTREQUEST,
      htype: 1,
      hlen: 6,
      hops: 1,
      xid: 0xdeadbeef,
      secs: 7,
      flags: 0x8000,
      ciaddr: 0xc6336401,
      yiaddr: 0,
      siaddr: 0,
      giaddr: 0xcb007101,
      chaddr,
    },
    300,
  );
  bytes.set([53, 1, 1, 55, 3, 1, 3, 6, 255], OPTIONS_OFFSET);
  return bytes;
}

describe("decodePacket", () => {
  it("reads every header field and the options", () => {
    const r = decodePacket(sample());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.packet;
    expect([p.op, p.htype, p.hlen, p.hops, p.xid, p.secs, p.flags]).toEqual([
      1, 1, 6, 1, 0xdeadbeef, 7, 0x8000,
    ]);
    expect([p.ciaddr, p.giaddr]).toEqual([0xc6336401, 0xcb007101]);
    expect([...p.chaddr.subarray(0, 6)]).toEqual([0, 4, 0xf2, 1, 2, 3]);
    expect([...p.options.get(55)!]).toEqual([1, 3, 6]);
  });

  it("re-encodes the header byte for byte", () => {
    const bytes = sample();
    const r = decodePacket(bytes);
    if (!r.ok) throw new Error(r.error);
    const again = encodeHeader(r.packet, bytes.length);
    expect([...again.subarray(0, OPTIONS_OFFSET)]).toEqual([...bytes.subarray(0, OPTIONS_OFFSET)]);
  });

  it("explains what is wrong with a bad message", () => {
    expect(decodePacket(new Uint8Array(100))).toEqual({
      ok: false,
      error: "message too short: 100 bytes, a DHCP message has at least 240",
    });
    const noCookie = sample();
    noCookie[236] = 0;
    expect(decodePacket(noCookie).ok).toBe(false);
    const longHw = sample();
    longHw[2] = 17;
    expect(decodePacket(longHw)).toEqual({ ok: false, error: "hardware address length 17 exceeds 16" });
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        const r = decodePacket(bytes);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 5000 },
    );
  });

  it("never throws on mutated valid messages, and a decoded cookie is always the magic one", () => {
    const base = sample();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
        fc.nat(base.length),
        (mutations, cut) => {
          const bytes = base.slice(0, Math.max(cut, 0));
          for (const [at, value] of mutations) if (at < bytes.length) bytes[at] = value;
          const r = decodePacket(bytes);
          if (r.ok) expect(new DataView(bytes.buffer).getUint32(236)).toBe(MAGIC_COOKIE);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

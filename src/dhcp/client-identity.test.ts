import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientIdentity, hex, macText } from "./client-identity.js";
import type { DhcpPacket } from "./packet.js";

/** The definition, written the plain way. */
function expected(htype: number, hlen: number, chaddr: Uint8Array, id: Uint8Array | undefined) {
  const bytes = [...chaddr.subarray(0, Math.min(hlen, 16))];
  const mac = bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
  if (id && id.length > 0) {
    const clientId = [...id].map((b) => b.toString(16).padStart(2, "0")).join("");
    return { key: `id:${clientId}`, mac, clientId };
  }
  return { key: `hw:${htype}:${bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}`, mac };
}

function packet(htype: number, hlen: number, chaddr: Uint8Array, id: Uint8Array | undefined): DhcpPacket {
  return {
    op: 1,
    htype,
    hlen,
    hops: 0,
    xid: 0,
    secs: 0,
    flags: 0,
    ciaddr: 0,
    yiaddr: 0,
    siaddr: 0,
    giaddr: 0,
    chaddr,
    options: new Map(id ? [[61, id]] : []),
    overload: 0,
  };
}

describe("clientIdentity", () => {
  it("matches its definition for any hardware address, type, length and client identifier", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 1, 1, 6, 32),
        fc.constantFrom(6, 6, 6, 0, 8, 16, 20),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.option(fc.uint8Array({ maxLength: 20 }), { nil: undefined }),
        (htype, hlen, chaddr, id) => {
          // Twice: the second answer for an Ethernet address comes from the memo.
          expect(clientIdentity(packet(htype, hlen, chaddr, id))).toEqual(expected(htype, hlen, chaddr, id));
          expect(clientIdentity(packet(htype, hlen, chaddr, id))).toEqual(expected(htype, hlen, chaddr, id));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("formats hex and MAC text in lowercase pairs", () => {
    expect(hex(Uint8Array.of(0, 15, 255))).toBe("000fff");
    expect(macText(Uint8Array.of(0, 4, 0xf2, 0xab, 0xcd, 0xef, 9), 6)).toBe("00:04:f2:ab:cd:ef");
    expect(macText(Uint8Array.of(1, 2), 0)).toBe("");
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DhcpHost } from "../config/site.js";
import { clientIdentity, ethernetKey, hex, isOwnKey, leaseKeyOf, macText } from "./client-identity.js";
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

function reservation(spec: { mac?: string; clientId?: string }): DhcpHost {
  return { ...spec, options: new Map(), source: { file: "site.yaml", line: 1, col: 1 } };
}

describe("lease keys", () => {
  const chaddr = Uint8Array.of(0, 4, 0xf2, 0, 0, 1, ...new Uint8Array(10));
  const byMac = reservation({ mac: "00:04:f2:00:00:01" });
  const byId = reservation({ clientId: "ff0102" });
  const both = reservation({ mac: "00:04:f2:00:00:01", clientId: "ff0102" });

  it("a client without a reservation is stored under its own key", () => {
    const duid = clientIdentity(packet(1, 6, chaddr, Uint8Array.of(0xff, 1, 2)));
    expect(leaseKeyOf(duid, undefined)).toBe("id:ff0102");
    expect(isOwnKey("id:ff0102", duid, undefined)).toBe(true);
    expect(isOwnKey("hw:1:0004f2000001", duid, undefined)).toBe(false);
    expect(isOwnKey("id:010004f2000001", duid, undefined)).toBe(false);
  });

  it("a reservation by MAC keys the leases by the MAC, whatever option 61 says", () => {
    for (const id of [
      undefined,
      Uint8Array.of(1, 0, 4, 0xf2, 0, 0, 1),
      Uint8Array.of(0xff, 9, 9),
      Uint8Array.of(0x41),
    ]) {
      const client = clientIdentity(packet(1, 6, chaddr, id));
      expect(leaseKeyOf(client, byMac)).toBe("hw:1:0004f2000001");
      expect(isOwnKey("hw:1:0004f2000001", client, byMac)).toBe(true);
      // What a client sending 01 + MAC was stored under before.
      expect(isOwnKey("id:010004f2000001", client, byMac)).toBe(true);
      expect(isOwnKey(client.key, client, byMac)).toBe(true);
      expect(isOwnKey("hw:1:0004f2000002", client, byMac)).toBe(false);
      expect(isOwnKey("id:ff0909ff", client, byMac)).toBe(false);
    }
  });

  it("a reservation by client-id keys by the client-id, also when it has a MAC", () => {
    const client = clientIdentity(packet(1, 6, chaddr, Uint8Array.of(0xff, 1, 2)));
    expect(leaseKeyOf(client, byId)).toBe("id:ff0102");
    expect(leaseKeyOf(client, both)).toBe("id:ff0102");
    expect(isOwnKey("hw:1:0004f2000001", client, both)).toBe(true);
    expect(isOwnKey("hw:1:0004f2000001", client, byId)).toBe(false);
  });

  it("writes the key of an Ethernet client the way clientIdentity does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (mac) => {
        const padded = new Uint8Array(16);
        padded.set(mac);
        expect(ethernetKey(macText(mac, 6))).toBe(clientIdentity(packet(1, 6, padded, undefined)).key);
      }),
    );
  });
});

/**
 * Option 81 (RFC 4702): the decoder never throws and reads both encodings; the OFFER and ACK carry
 * the flags the server acts on (S=1 when it serves the A record, O=1 when that differs from the
 * client's S, N=1 when it serves nothing), RCODE1/RCODE2 255, the name in the client's encoding.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  clientFqdnReply,
  FQDN_E,
  FQDN_N,
  FQDN_O,
  FQDN_S,
  parseClientFqdn,
} from "../../src/dhcp/client-fqdn.js";
import { wireString } from "../../src/dns/wire.js";
import { DdnsHarness, loadDdnsSite, text } from "./ddns-harness.js";

const option81 = (flags: number, name: Uint8Array) => Uint8Array.from([flags, 0, 0, ...name]);
const wire = (name: string) => Buffer.from(wireString(name), "latin1");

describe("option 81 decoder", () => {
  it("reads the wire form (E=1), full and partial names, and the ASCII form (E=0)", () => {
    expect(parseClientFqdn(option81(FQDN_E | FQDN_S, wire("Phone1.contoso.com")))).toMatchObject({
      flags: FQDN_E | FQDN_S,
      name: "Phone1.contoso.com",
    });
    // A partial name has no root label.
    expect(parseClientFqdn(option81(FQDN_E, Uint8Array.from([6, ...text("phone2")])))?.name).toBe("phone2");
    expect(parseClientFqdn(option81(0, text("phone3.contoso.com.")))?.name).toBe("phone3.contoso.com");
    expect(parseClientFqdn(option81(0xf0 | FQDN_S, text("x")))?.flags).toBe(FQDN_S);
  });

  it("gives no name for labels that overrun, are too long or are not printable; nothing for short data", () => {
    expect(parseClientFqdn(option81(FQDN_E, Uint8Array.from([9, 97, 98])))?.name).toBe("");
    expect(
      parseClientFqdn(option81(FQDN_E, Uint8Array.from([64, ...new Uint8Array(64).fill(97)])))?.name,
    ).toBe("");
    expect(parseClientFqdn(option81(0, Uint8Array.from([0x61, 0x0a, 0x62])))?.name).toBe("");
    expect(parseClientFqdn(Uint8Array.of(1, 255))).toBeUndefined();
    expect(parseClientFqdn(undefined)).toBeUndefined();
  });

  it("never throws, and wire names it encodes read back the same", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const parsed = parseClientFqdn(bytes);
        if (bytes.length < 3) return parsed === undefined;
        return parsed !== undefined && parsed.flags <= 0x0f && typeof parsed.name === "string";
      }),
    );
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 5 }), (labels) => {
        const name = labels.join(".");
        return parseClientFqdn(option81(FQDN_E, wire(name)))?.name === name;
      }),
    );
  });
});

describe("option 81 answer", () => {
  it.each([
    // client flags, served?, expected reply flags
    [FQDN_S, true, FQDN_S],
    [0, true, FQDN_S | FQDN_O],
    [FQDN_N, true, FQDN_S | FQDN_O],
    [FQDN_S | FQDN_E, true, FQDN_S | FQDN_E],
    [FQDN_S, false, FQDN_O | FQDN_N],
    [0, false, FQDN_N],
  ])("client flags %i, served %s → %i", (flags, served, expected) => {
    const client = parseClientFqdn(option81(flags, flags & FQDN_E ? wire("p") : text("p")))!;
    const reply = clientFqdnReply(client, served ? "p.contoso.com" : undefined);
    expect(reply[0]).toBe(expected);
    expect([reply[1], reply[2]]).toEqual([255, 255]);
  });

  it("an ACK answers option 81 with the served name in the client's encoding", async () => {
    const h = await DdnsHarness.start();
    try {
      const encoded = await h.lease("02:00:00:00:08:01", [[81, option81(FQDN_E | FQDN_S, wire("Phone81"))]]);
      const reply = encoded.options.get(81)!;
      expect(reply[0]).toBe(FQDN_E | FQDN_S);
      expect([reply[1], reply[2]]).toEqual([255, 255]);
      expect(Buffer.from(reply.subarray(3))).toEqual(Buffer.from(wire("phone81.contoso.com")));
      expect(h.ask("phone81.contoso.com", "A").rcode).toBe("NOERROR");

      // ASCII, client wants to do the A update itself (S=0): the server does it and says so (O=1).
      const ascii = await h.lease("02:00:00:00:08:02", [[81, option81(0, text("ascii82.contoso.com"))]]);
      const answer = ascii.options.get(81)!;
      expect(answer[0]).toBe(FQDN_S | FQDN_O);
      expect(Buffer.from(answer.subarray(3)).toString("latin1")).toBe("ascii82.contoso.com");
    } finally {
      await h.stop();
    }
  });

  it("a refused name is answered S=0 N=1 with the client's own name echoed; the OFFER says the same", async () => {
    const h = await DdnsHarness.start();
    try {
      const sent = option81(FQDN_E | FQDN_S, wire("pool01.contoso.com"));
      const ack = await h.lease("02:00:00:00:08:03", [[81, sent]]);
      const reply = ack.options.get(81)!;
      expect(reply[0]).toBe(FQDN_E | FQDN_O | FQDN_N);
      expect(Buffer.from(reply.subarray(3))).toEqual(Buffer.from(sent.subarray(3)));
      expect(h.ask("pool01.contoso.com", "A").answer).toEqual(["pool01.contoso.com. 3600 A 198.51.100.20"]);
    } finally {
      await h.stop();
    }
  });

  it("option 81 takes precedence over option 12 for the lease's name", async () => {
    const h = await DdnsHarness.start();
    try {
      await h.lease("02:00:00:00:08:04", [
        [12, text("from12")],
        [81, option81(FQDN_S, text("from81"))],
      ]);
      expect(h.ask("from81.contoso.com", "A").rcode).toBe("NOERROR");
      expect(h.ask("from12.contoso.com", "A").rcode).toBe("NXDOMAIN");
    } finally {
      await h.stop();
    }
  });

  it("without dhcp.ddns the server does not answer option 81 at all", async () => {
    const site = loadDdnsSite();
    const { ddns: _ddns, ...dhcp } = site.dhcp;
    const h = await DdnsHarness.start({ ...site, dhcp });
    try {
      const ack = await h.lease("02:00:00:00:08:05", [[81, option81(FQDN_S, text("x"))]]);
      expect(ack.options.has(81)).toBe(false);
    } finally {
      await h.stop();
    }
  });
});

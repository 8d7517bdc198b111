import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { broadcastOf, cidrContains, formatIpv4, parseCidr, parseIpv4, prefixMask } from "./ipv4.js";

describe("parseIpv4", () => {
  it.each([
    ["0.0.0.0", 0],
    ["198.51.100.2", 0xc6336402],
    ["255.255.255.255", 0xffffffff],
  ])("accepts %s", (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each([
    "10.1",
    "10.1.2",
    "010.1.1.1",
    "0x0a.1.1.1",
    "1.2.3.256",
    "1.2.3.4.5",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1..2.3",
    "",
    "a.b.c.d",
    "1.2.3.-1",
    "1.2.3.4/24",
  ])("rejects %j (only four-part decimal)", (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });

  it("agrees with the textual definition on arbitrary dotted strings", () => {
    const PART = /^(0|[1-9][0-9]{0,2})$/;
    const byDefinition = (text: string) => {
      const parts = text.split(".");
      if (parts.length !== 4 || !parts.every((p) => PART.test(p) && Number(p) <= 255)) return undefined;
      return parts.reduce((value, p) => value * 256 + Number(p), 0);
    };
    const piece = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.stringMatching(/^[0-9]{0,5}$/),
      fc.constantFrom("", "a", " 1", "0x1", "-1", "1e2", "٣"),
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), (pieces) => {
        const text = pieces.join(".");
        expect(parseIpv4(text)).toBe(byDefinition(text));
      }),
      { numRuns: 5000 },
    );
  });

  it("round-trips every address", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(parseIpv4(formatIpv4(n))).toBe(n);
      }),
    );
  });
});

describe("parseCidr", () => {
  it("parses a network", () => {
    expect(parseCidr("198.51.100.0/24")).toEqual({
      text: "198.51.100.0/24",
      network: 0xc6336400,
      prefix: 24,
      mask: 0xffffff00,
    });
  });
  it("rejects host bits and says the network address", () => {
    expect(parseCidr("198.51.100.7/24")).toEqual({
      error: "host bits are set: the network address is 198.51.100.0/24",
    });
  });
  it.each(["198.51.100.0", "198.51.100.0/33", "198.51.100.0/024", "10.1/8", "198.51.100.0/x"])(
    "rejects %s",
    (text) => {
      expect(parseCidr(text)).toHaveProperty("error");
    },
  );
  it("contains and broadcast agree with the mask", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        (address, prefix) => {
          const mask = prefixMask(prefix);
          const cidr = parseCidr(`${formatIpv4((address & mask) >>> 0)}/${prefix}`);
          if ("error" in cidr) throw new Error(cidr.error);
          expect(cidrContains(cidr, address)).toBe(true);
          expect(cidrContains(cidr, broadcastOf(cidr))).toBe(true);
          if (prefix > 0)
            expect(cidrContains(cidr, (cidr.network ^ (0x80000000 >>> (prefix - 1))) >>> 0)).toBe(false);
        },
      ),
    );
  });
});

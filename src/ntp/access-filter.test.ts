import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LOOPBACK, parseCidr, parseIpv4 } from "../config/ipv4.js";
import type { Cidr } from "../config/site.js";
import { AccessFilter, parseIpv4Fast } from "./access-filter.js";

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if ("error" in c) throw new Error(c.error);
  return c;
}

describe("parseIpv4Fast", () => {
  it("agrees with the strict parser on dotted quads", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(parseIpv4Fast(ip)).toBe(parseIpv4(ip));
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses anything that is not a dotted quad", () => {
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "1..2.3",
      "256.1.1.1",
      "1.2.3.4 ",
      "::1",
      "a.b.c.d",
      "1.2.3.",
      "1234.1.1.1",
    ]) {
      expect(parseIpv4Fast(bad)).toBe(-1);
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        const v = parseIpv4Fast(s);
        expect(v === -1 || (v >= 0 && v <= 0xffffffff)).toBe(true);
      }),
    );
  });
});

describe("AccessFilter", () => {
  const filter = new AccessFilter([cidr("198.51.100.0/24"), LOOPBACK]);

  it("allows the listed networks and loopback, refuses the rest", () => {
    expect(filter.allows("198.51.100.77")).toBe(true);
    expect(filter.allows("127.0.0.1")).toBe(true);
    expect(filter.allows("203.0.113.5")).toBe(false);
    expect(filter.allows("198.51.101.1")).toBe(false);
  });

  it("judges IPv4-mapped IPv6 by the IPv4 address, ::1 as loopback, other IPv6 refused", () => {
    expect(filter.allows("::ffff:198.51.100.9")).toBe(true);
    expect(filter.allows("::ffff:203.0.113.9")).toBe(false);
    expect(filter.allows("::1")).toBe(true);
    expect(filter.allows("2001:db8::1")).toBe(false);
    expect(new AccessFilter([cidr("198.51.100.0/24")]).allows("::1")).toBe(false);
  });

  it("refuses everyone with an empty list and allows everyone with 0.0.0.0/0", () => {
    expect(new AccessFilter([]).allows("127.0.0.1")).toBe(false);
    expect(new AccessFilter([cidr("0.0.0.0/0")]).allows("203.0.113.200")).toBe(true);
  });
});

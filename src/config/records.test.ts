import { describe, expect, it } from "vitest";
import { formatRecordData, parseRecordLine } from "./records.js";

const SELF = 0xc6336402; // 198.51.100.2

describe("parseRecordLine", () => {
  it.each([
    [
      "sip A 198.51.100.20",
      { name: "sip.fabrikam.com", ttl: undefined, data: { type: "A", address: "198.51.100.20" } },
    ],
    ["ntp 300 A self", { name: "ntp.fabrikam.com", ttl: 300, data: { type: "A", address: "198.51.100.2" } }],
    [
      "@ 1h IN A 198.51.100.10",
      { name: "fabrikam.com", ttl: 3600, data: { type: "A", address: "198.51.100.10" } },
    ],
    [
      "_sipinternaltls._tcp SRV 0 0 5061 pool01.contoso.com.",
      {
        name: "_sipinternaltls._tcp.fabrikam.com",
        ttl: undefined,
        data: { type: "SRV", priority: 0, weight: 0, port: 5061, target: "pool01.contoso.com" },
      },
    ],
    [
      "www CNAME sip",
      { name: "www.fabrikam.com", ttl: undefined, data: { type: "CNAME", target: "sip.fabrikam.com" } },
    ],
    [
      "v6 AAAA 2001:DB8::1",
      { name: "v6.fabrikam.com", ttl: undefined, data: { type: "AAAA", address: "2001:db8::1" } },
    ],
    [
      '@ TXT "v=spf1 -all" "two words"',
      { name: "fabrikam.com", ttl: undefined, data: { type: "TXT", strings: ["v=spf1 -all", "two words"] } },
    ],
    [
      "@ MX 10 mail",
      {
        name: "fabrikam.com",
        ttl: undefined,
        data: { type: "MX", preference: 10, exchange: "mail.fabrikam.com" },
      },
    ],
    [
      "@ NS ns1.contoso.com.",
      { name: "fabrikam.com", ttl: undefined, data: { type: "NS", host: "ns1.contoso.com" } },
    ],
    [
      "_none._tcp SRV 0 0 0 .",
      {
        name: "_none._tcp.fabrikam.com",
        ttl: undefined,
        data: { type: "SRV", priority: 0, weight: 0, port: 0, target: "" },
      },
    ],
  ] as const)("%s", (line, record) => {
    expect(parseRecordLine(line, "fabrikam.com", SELF)).toEqual({ ok: true, record });
  });

  it("parses an SOA with durations", () => {
    const r = parseRecordLine("@ SOA ns1 hostmaster 7 1h 10m 1d 5m", "contoso.com", SELF);
    expect(r).toEqual({
      ok: true,
      record: {
        name: "contoso.com",
        ttl: undefined,
        data: {
          type: "SOA",
          mname: "ns1.contoso.com",
          rname: "hostmaster.contoso.com",
          serial: 7,
          refresh: 3600,
          retry: 600,
          expire: 86400,
          minimum: 300,
        },
      },
    });
  });

  it.each([
    ["sip", "expected: name [ttl] TYPE data"],
    ["sip A 10.1", 'A data: expected an IPv4 address a.b.c.d or "self", got "10.1"'],
    ["sip A 1.2.3.4 5.6.7.8", "A data: expected one IPv4 address, got 2 fields"],
    ["sip HINFO x y", 'unsupported record type "HINFO"'],
    ["x SRV 0 0 99999 t", "SRV data: port must be a whole number from 0 to 65535"],
    ["x SRV 0 0 5061", "SRV data: expected priority weight port target, got 3 fields"],
    [`${"a".repeat(64)} A 1.2.3.4`, "owner name: the label"],
    ['x TXT "open', "a quoted string is not closed"],
    [`x TXT "${"a".repeat(256)}"`, "at most 255 octets"],
    ["x AAAA 1.2.3.4", "AAAA data: expected an IPv6 address"],
    ["* A 1.2.3.4", "wildcard records are not supported"],
  ])("%s → error", (line, message) => {
    const r = parseRecordLine(line, "fabrikam.com", SELF);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });

  it("formats data in zone-file form", () => {
    expect(
      formatRecordData({ type: "SRV", priority: 0, weight: 0, port: 5061, target: "pool01.contoso.com" }),
    ).toBe("0 0 5061 pool01.contoso.com.");
    expect(formatRecordData({ type: "TXT", strings: ['a "b"'] })).toBe('"a \\"b\\""');
  });
});

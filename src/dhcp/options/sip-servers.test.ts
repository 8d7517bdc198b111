import { describe, expect, it } from "vitest";
import { decodeOptionValue, encodeOptionValue } from "./codec.js";
import { splitOption } from "./split.js";
import { bytes } from "./test-bytes.js";

const SIP = { type: "sip-servers", array: false } as const;

// RFC 3361 section 3.1: "example.com" and "example.net", encoding byte 0, option length 27.
const RFC3361_NAMES_WIRE = bytes(`78 1b 00 07 "example" 03 "com" 00 07 "example" 03 "net" 00`);

describe("option 120 SIP servers (RFC 3361)", () => {
  it("encodes the RFC 3361 name example to its exact bytes", () => {
    const r = encodeOptionValue(SIP, ["example.com", "example.net"]);
    if (!r.ok) throw new Error(r.error);
    expect([...splitOption(120, r.data)]).toEqual([...RFC3361_NAMES_WIRE]);
    expect(r.display).toBe("[example.com, example.net]");
  });

  it("decodes the RFC 3361 name example", () => {
    expect(decodeOptionValue(SIP, RFC3361_NAMES_WIRE.subarray(2))).toEqual({
      ok: true,
      value: ["example.com", "example.net"],
      display: "[example.com, example.net]",
    });
  });

  it("encodes addresses with encoding byte 1 (RFC 3361 section 3.2 layout)", () => {
    const r = encodeOptionValue(SIP, ["198.51.100.2", "198.51.100.3"]);
    expect(r.ok && [...splitOption(120, r.data)]).toEqual([120, 9, 1, 198, 51, 100, 2, 198, 51, 100, 3]);
    expect(r.ok && r.display).toBe("[198.51.100.2, 198.51.100.3]");
  });

  it("accepts a single name or address, and self for this box", () => {
    const one = encodeOptionValue(SIP, "sip.fabrikam.com");
    expect(one.ok && [...one.data]).toEqual([...bytes(`00 03 "sip" 08 "fabrikam" 03 "com" 00`)]);
    const self = encodeOptionValue(SIP, ["self"], { self: 0xc6336402 });
    expect(self.ok && [...self.data]).toEqual([1, 198, 51, 100, 2]);
  });

  it("refuses to mix names and addresses in one option", () => {
    expect(encodeOptionValue(SIP, ["sip.fabrikam.com", "198.51.100.2"])).toEqual({
      ok: false,
      error:
        'expected either names or IPv4 addresses, not both: RFC 3361 carries one form per option (got "sip.fabrikam.com", "198.51.100.2")',
    });
  });

  it("explains malformed items", () => {
    expect(encodeOptionValue(SIP, ["198.51.100.2", "10.1"], { self: 1 })).toEqual({
      ok: false,
      error: 'item 2: expected an IPv4 address a.b.c.d or "self", got "10.1"',
    });
    expect(encodeOptionValue(SIP, ["sip..x"])).toEqual({
      ok: false,
      error: 'domain name "sip..x" has an empty label',
    });
    expect(encodeOptionValue(SIP, [])).toEqual({
      ok: false,
      error: "expected at least one SIP server (a name or an IPv4 address)",
    });
  });

  it("decodes compressed names with pointers counted from the encoding byte", () => {
    // 00 | 03 sip 07 contoso 03 com 00 | 03 pbx c0 05  → pointer 5 = "contoso.com"
    const data = bytes(`00 03 "sip" 07 "contoso" 03 "com" 00 03 "pbx" c0 05`);
    expect(decodeOptionValue(SIP, data)).toMatchObject({
      ok: true,
      value: ["sip.contoso.com", "pbx.contoso.com"],
    });
  });

  it("rejects empty data, unknown encodings and ragged address lists", () => {
    expect(decodeOptionValue(SIP, new Uint8Array(0))).toEqual({
      ok: false,
      error: "empty: expected an encoding byte (0 names, 1 addresses)",
    });
    expect(decodeOptionValue(SIP, bytes("02 01 02 03 04"))).toEqual({
      ok: false,
      error: "unknown encoding byte 2 (0 names, 1 addresses)",
    });
    expect(decodeOptionValue(SIP, bytes("01 01 02 03"))).toEqual({
      ok: false,
      error: "address form needs a multiple of 4 octets after the encoding byte, got 3",
    });
    expect(decodeOptionValue(SIP, bytes("01"))).toHaveProperty("ok", false);
    expect(decodeOptionValue(SIP, bytes("00"))).toEqual({ ok: false, error: "no domain name in the data" });
  });
});

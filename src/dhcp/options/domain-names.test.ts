import { describe, expect, it } from "vitest";
import { decodeOptionValue, encodeOptionValue } from "./codec.js";
import { decodeNames, encodeNames, parseDomainName } from "./domain-names.js";
import { splitOption } from "./split.js";
import { bytes } from "./test-bytes.js";

const SEARCH = { type: "domain", array: true } as const;
const ONE = { type: "domain", array: false } as const;

// RFC 3397 section 2: "eng.apple.com." and "marketing.apple.com.", sent as three 9-octet instances.
const RFC3397_INSTANCES = bytes(`
  77 09 03 "eng" 05 "appl"
  77 09 "e" 03 "com" 00 09 "ma"
  77 09 "rketing" c0 04`);
const RFC3397_DATA = bytes(`03 "eng" 05 "apple" 03 "com" 00 09 "marketing" c0 04`);

function instancesData(wire: Uint8Array): Uint8Array {
  const parts: number[] = [];
  for (let at = 0; at < wire.length; at += 2 + wire[at + 1]!)
    parts.push(...wire.subarray(at + 2, at + 2 + wire[at + 1]!));
  return Uint8Array.from(parts);
}

describe("option 119 domain search (RFC 3397)", () => {
  it("encodes the RFC 3397 example to its exact bytes", () => {
    const r = encodeOptionValue(SEARCH, ["eng.apple.com.", "marketing.apple.com."]);
    expect(r.ok && [...r.data]).toEqual([...RFC3397_DATA]);
    expect(r.ok && r.display).toBe("[eng.apple.com, marketing.apple.com]");
  });

  it("decodes the RFC 3397 example after concatenating its three instances (RFC 3396)", () => {
    const data = instancesData(RFC3397_INSTANCES);
    expect([...data]).toEqual([...RFC3397_DATA]);
    const r = decodeOptionValue(SEARCH, data);
    expect(r).toEqual({
      ok: true,
      value: ["eng.apple.com", "marketing.apple.com"],
      display: "[eng.apple.com, marketing.apple.com]",
    });
  });

  it("a short list is one instance on the wire", () => {
    const r = encodeOptionValue(SEARCH, ["eng.apple.com.", "marketing.apple.com."]);
    if (!r.ok) throw new Error(r.error);
    expect([...splitOption(119, r.data)]).toEqual([119, 27, ...RFC3397_DATA]);
  });

  it("compresses repeated names and shared tails, pointers from the start of the data", () => {
    const r = encodeOptionValue(SEARCH, ["contoso.com", "fabrikam.com", "contoso.com", "eu.contoso.com"]);
    expect(r.ok && [...r.data]).toEqual([
      ...bytes(`07 "contoso" 03 "com" 00`),
      ...bytes(`08 "fabrikam" c0 08`),
      ...bytes(`c0 00`),
      ...bytes(`02 "eu" c0 00`),
    ]);
    expect(r.ok && r.display).toBe("[contoso.com, fabrikam.com, contoso.com, eu.contoso.com]");
  });

  it("compression is case-exact so names decode as written", () => {
    const r = encodeOptionValue(SEARCH, ["A.example", "a.example"]);
    expect(r.ok && decodeOptionValue(SEARCH, r.data)).toMatchObject({ value: ["A.example", "a.example"] });
  });

  it("accepts a single scalar as a one-name list", () => {
    const r = encodeOptionValue(SEARCH, "contoso.com");
    expect(r.ok && [...r.data]).toEqual([...bytes(`07 "contoso" 03 "com" 00`)]);
  });

  it("rejects an empty list and reports the bad item", () => {
    expect(encodeOptionValue(SEARCH, [])).toEqual({
      ok: false,
      error: "expected a list of at least one domain value, got an empty list",
    });
    const r = encodeOptionValue(SEARCH, ["contoso.com", "bad..name"]);
    expect(r).toEqual({ ok: false, error: 'item 2: domain name "bad..name" has an empty label' });
  });
});

describe("domain name text", () => {
  it("accepts a trailing dot and drops it", () => {
    expect(parseDomainName("contoso.com.")).toEqual(["contoso", "com"]);
  });

  it("enforces 63-octet labels and 253-character names", () => {
    expect(parseDomainName(`${"a".repeat(63)}.com`)).toEqual(["a".repeat(63), "com"]);
    expect(parseDomainName(`${"a".repeat(64)}.com`)).toEqual({
      error: `label "${"a".repeat(64)}" of "${"a".repeat(64)}.com" is 64 octets long; at most 63`,
    });
    const name253 = [..."abcd"]
      .map((c) => c.repeat(63))
      .join(".")
      .slice(0, 253);
    expect(name253.length).toBe(253);
    expect(Array.isArray(parseDomainName(name253))).toBe(true);
    expect(parseDomainName(`${name253}x`)).toEqual({
      error: `domain name "${name253}x" is 254 characters long; at most 253`,
    });
    // 253 characters plus the trailing dot is still 253.
    expect(Array.isArray(parseDomainName(`${name253}.`))).toBe(true);
  });

  it("rejects empty names, empty labels, odd characters and non-strings", () => {
    expect(parseDomainName("")).toEqual({ error: 'expected a domain name such as contoso.com, got ""' });
    expect(parseDomainName(".")).toHaveProperty("error");
    expect(parseDomainName(".com")).toEqual({ error: 'domain name ".com" has an empty label' });
    expect(parseDomainName("a..b")).toHaveProperty("error");
    expect(parseDomainName("contoso.com..")).toHaveProperty("error");
    expect(parseDomainName("my host.com")).toEqual({
      error:
        'domain name "my host.com": labels may hold only letters, digits, "-" and "_" (use punycode for others)',
    });
    expect(parseDomainName(42)).toEqual({ error: "expected a domain name such as contoso.com, got 42" });
  });

  it("encodes one name for type domain, without compression", () => {
    const r = encodeOptionValue(ONE, "_sip._tls.fabrikam.com");
    expect(r.ok && [...r.data]).toEqual([...bytes(`04 "_sip" 04 "_tls" 08 "fabrikam" 03 "com" 00`)]);
    expect(r.ok && r.display).toBe("_sip._tls.fabrikam.com");
    expect(encodeOptionValue(ONE, ["a.com"])).toEqual({
      ok: false,
      error: "expected a single domain value, got a list",
    });
  });
});

describe("domain name decoding is bounded and strict", () => {
  it("rejects pointers that do not point backwards (loops, self, forward)", () => {
    expect(decodeNames(bytes("c0 00"))).toEqual({
      error: "compression pointer at offset 0 does not point backwards",
    });
    expect(decodeNames(bytes(`01 "a" c0 00`))).toHaveProperty("error");
    expect(decodeNames(bytes(`01 "a" 00 01 "b" c0 05`))).toHaveProperty("error");
    // Two names pointing at each other's tails: the second jump must land before the first.
    expect(decodeNames(bytes(`01 "a" 00 01 "b" c0 05 c0 03`))).toHaveProperty("error");
  });

  it("rejects truncation, unknown label types, root names and names over 255 octets", () => {
    expect(decodeNames(bytes(`03 "ab"`))).toEqual({
      error: "label at offset 0 runs past the end of the data",
    });
    expect(decodeNames(bytes(`01 "a"`))).toEqual({ error: "name at offset 0 runs past the end of the data" });
    expect(decodeNames(bytes(`01 "a" 00 c0`))).toEqual({
      error: "compression pointer at offset 3 is cut short",
    });
    expect(decodeNames(bytes(`41 00`))).toEqual({ error: "unsupported label type 0x41 at offset 0" });
    expect(decodeNames(bytes(`00`))).toEqual({ error: "empty (root) name at offset 0" });
    expect(decodeNames(new Uint8Array(0))).toEqual({ error: "no domain name in the data" });
    const long = [...Array(5)].flatMap(() => [63, ...new Uint8Array(63).fill(0x61)]);
    expect(decodeNames(Uint8Array.from([...long, 0]))).toEqual({
      error: "name at offset 0 is longer than 255 octets",
    });
  });

  it("shows bytes outside letters, digits, - and _ as \\DDD escapes", () => {
    expect(decodeNames(bytes(`03 61 2e 20 03 "com" 00`))).toEqual(["a\\046\\032.com"]);
  });

  it("a single-name option must hold exactly one name", () => {
    expect(decodeOptionValue(ONE, bytes(`01 "a" 00 01 "b" 00`))).toEqual({
      ok: false,
      error: "expected one domain name, got 2",
    });
  });

  it("encodeNames leaves names uncompressed when asked", () => {
    expect([
      ...encodeNames(
        [
          ["a", "com"],
          ["a", "com"],
        ],
        false,
      ),
    ]).toEqual([...bytes(`01 "a" 03 "com" 00 01 "a" 03 "com" 00`)]);
  });
});

import { describe, expect, it } from "vitest";
import { OPTION_TABLE, optionByCode, optionByName, optionNames, SERVER_MANAGED_CODES } from "./table.js";
import { formatTypeSpec, parseTypeSpec } from "./type-spec.js";

describe("option table", () => {
  it("holds the well-known rows with their types", () => {
    const expected: [number, string, string][] = [
      [1, "subnet-mask", "ip"],
      [2, "time-offset", "s32"],
      [3, "routers", "ip[]"],
      [6, "dns-servers", "ip[]"],
      [12, "host-name", "string"],
      [15, "domain-name", "string"],
      [28, "broadcast-address", "ip"],
      [42, "ntp-servers", "ip[]"],
      [43, "vendor-encapsulated-options", "vendor-options"],
      [44, "netbios-name-servers", "ip[]"],
      [51, "lease-time", "u32"],
      [58, "renewal-time", "u32"],
      [59, "rebinding-time", "u32"],
      [60, "vendor-class-identifier", "string"],
      [66, "tftp-server", "string"],
      [67, "boot-file-name", "string"],
      [100, "pcode", "string"],
      [101, "tcode", "string"],
      [119, "domain-search", "domain[]"],
      [120, "sip-servers", "sip-servers"],
      [150, "tftp-server-address", "ip[]"],
      [160, "provisioning-server", "string"],
    ];
    for (const [code, name, spec] of expected) {
      const def = optionByCode(code);
      expect(def?.name, `code ${code}`).toBe(name);
      expect(def && formatTypeSpec(def), name).toBe(spec);
      expect(optionByName(name)).toBe(def);
    }
  });

  it("has unique codes 1..254, unique kebab-case names and parseable types", () => {
    const codes = OPTION_TABLE.map((d) => d.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((c) => c >= 1 && c <= 254)).toBe(true);
    expect(new Set(optionNames()).size).toBe(OPTION_TABLE.length);
    for (const d of OPTION_TABLE) {
      expect(d.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(d.description.length).toBeGreaterThan(5);
      expect(parseTypeSpec(formatTypeSpec(d))).toEqual({ type: d.type, array: d.array });
      expect(Object.isFrozen(d)).toBe(true);
    }
  });

  it("answers undefined for unknown codes and names (no fuzzy matching here)", () => {
    expect(optionByCode(254)).toBeUndefined();
    expect(optionByName("domain_search")).toBeUndefined();
    expect(optionByName("Domain-Search")).toBeUndefined();
    expect(optionNames()).toContain("domain-search");
  });

  it("marks the options the server sets itself", () => {
    for (const code of [53, 54, 55, 61, 82]) expect(SERVER_MANAGED_CODES.has(code)).toBe(true);
    for (const code of [3, 6, 66, 119, 120]) expect(SERVER_MANAGED_CODES.has(code)).toBe(false);
  });
});

describe("parseTypeSpec", () => {
  it("parses every type and the array forms", () => {
    expect(parseTypeSpec("ip")).toEqual({ type: "ip", array: false });
    expect(parseTypeSpec("ip[]")).toEqual({ type: "ip", array: true });
    expect(parseTypeSpec("domain[]")).toEqual({ type: "domain", array: true });
    expect(parseTypeSpec("u16")).toEqual({ type: "u16", array: false });
    expect(parseTypeSpec("vendor-options")).toEqual({ type: "vendor-options", array: false });
  });

  it("explains unknown types and impossible arrays", () => {
    expect(parseTypeSpec("ipv4")).toEqual({
      error:
        'unknown option type "ipv4"; expected one of ip, u8, u16, u32, s32, bool, string, hex, domain, sip-servers, vendor-options, ip[], u8[], u16[], u32[], s32[], bool[], domain[]',
    });
    expect(parseTypeSpec("IP")).toHaveProperty("error");
    expect(parseTypeSpec(" ip")).toHaveProperty("error");
    expect(parseTypeSpec("ip[][]")).toHaveProperty("error");
    expect(parseTypeSpec("string[]")).toEqual({
      error: "type string cannot be an array (its values have no length of their own)",
    });
    expect(parseTypeSpec("hex[]")).toHaveProperty("error");
    expect(parseTypeSpec("sip-servers[]")).toEqual({
      error: "type sip-servers cannot be an array (it is already a list)",
    });
    expect(parseTypeSpec("vendor-options[]")).toEqual({
      error: "type vendor-options cannot be an array (it is a map of sub-options)",
    });
  });
});

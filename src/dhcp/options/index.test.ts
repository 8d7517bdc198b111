import { describe, expect, it } from "vitest";
import * as options from "./index.js";

describe("public surface", () => {
  it("exports the API the config, check and the server use", () => {
    for (const name of [
      "OPTION_TABLE",
      "optionByCode",
      "optionByName",
      "optionNames",
      "parseTypeSpec",
      "formatTypeSpec",
      "encodeOptionValue",
      "decodeOptionValue",
      "splitOption",
      "parseVendorClass",
      "matchVendorClass",
      "globToRegExp",
      "toHex",
    ]) {
      expect(options, name).toHaveProperty(name);
    }
  });

  it("goes from a site.yaml value to wire bytes and back, as check prints them", () => {
    const def = options.optionByName("domain-search")!;
    const enc = options.encodeOptionValue(def, ["contoso.com", "fabrikam.com"]);
    if (!enc.ok) throw new Error(enc.error);
    expect(enc.display).toBe("[contoso.com, fabrikam.com]");
    const wire = options.splitOption(def.code, enc.data);
    expect(options.toHex(wire)).toBe(
      "77 18 07 63 6f 6e 74 6f 73 6f 03 63 6f 6d 00 08 66 61 62 72 69 6b 61 6d c0 08",
    );
    expect(options.decodeOptionValue(def, wire.subarray(2))).toMatchObject({
      ok: true,
      value: ["contoso.com", "fabrikam.com"],
    });
  });
});

import { describe, expect, it } from "vitest";
import type { VendorClassMatch } from "../../config/site.js";
import { globToRegExp } from "./glob.js";
import { bytes } from "./test-bytes.js";
import { bytesToText, matchVendorClass, parseVendorClass } from "./vendor-class.js";

/**
 * Option 60 data from a Polycom SoundPoint IP 601, as printed in Polycom's administrator guide
 * ("Parsing Vendor ID Information"): enterprise 13885, data length 0x6f covering five code/length
 * sub-options, then the End-of-Suboptions octet 0xff. (The guide's option length byte, 0x74, is one
 * short of the 117 octets it lists; the build ids are masked as XXXX there.)
 */
const POLYCOM_IP601 = bytes(`
  00 00 36 3d
  6f
  01 07 "Polycom"
  02 15 "SoundPointIP-SPIP_601"
  03 10 "2345-11605-001,2"
  04 1c "SIP/Tip.XXXX/08-Jun-07 10:44"
  05 1d "BR/3.1.0.XXXX/28-Apr-05 13:30"
  ff`);

/** The same enterprise in the RFC 3925 (option 124) item layout: each item one length octet + data. */
const POLYCOM_SPIP650_ITEMS = bytes(`00 00 36 3d 21 15 "SoundPointIP-SPIP_650" 0a "3.1.3.0439"`);

function globMatch(pattern: string): VendorClassMatch {
  return { kind: "glob", pattern, regex: globToRegExp(pattern) };
}

function enterpriseMatch(enterprise: number, data?: string): VendorClassMatch {
  return data === undefined
    ? { kind: "enterprise", enterprise }
    : { kind: "enterprise", enterprise, data: { pattern: data, regex: globToRegExp(data) } };
}

describe("parseVendorClass", () => {
  it("reads the Polycom IP601 vector as enterprise 13885 with five sub-options", () => {
    expect(POLYCOM_IP601.length).toBe(117);
    const info = parseVendorClass(POLYCOM_IP601);
    expect(info.binary).toEqual([
      {
        enterprise: 13885,
        layout: "sub-options",
        codes: [1, 2, 3, 4, 5],
        items: [
          "Polycom",
          "SoundPointIP-SPIP_601",
          "2345-11605-001,2",
          "SIP/Tip.XXXX/08-Jun-07 10:44",
          "BR/3.1.0.XXXX/28-Apr-05 13:30",
        ],
      },
    ]);
    expect(info.text.startsWith("\\x00\\x006=o\\x01\\x07Polycom\\x02\\x15SoundPointIP-SPIP_601")).toBe(true);
  });

  it("reads the sub-option layout without the End octet when only it yields text", () => {
    const info = parseVendorClass(POLYCOM_IP601.subarray(0, -1));
    expect(info.binary?.[0]?.layout).toBe("sub-options");
    expect(info.binary?.[0]?.items[1]).toBe("SoundPointIP-SPIP_601");
  });

  it("when a block parses both ways without an End octet, prefers the reading that is text", () => {
    // As items: one item "\x01a" (not text). As sub-options: code 2, "a".
    expect(parseVendorClass(bytes(`00 00 36 3d 03 02 01 "a"`)).binary).toEqual([
      { enterprise: 13885, layout: "sub-options", codes: [2], items: ["a"] },
    ]);
    // Both readings are plain text only through items here: "\x02" fails as text, so items win.
    expect(parseVendorClass(bytes(`00 00 36 3d 04 01 02 01 02`)).binary?.[0]?.layout).toBe("items");
  });

  it("reads the RFC 3925 item layout", () => {
    expect(parseVendorClass(POLYCOM_SPIP650_ITEMS).binary).toEqual([
      { enterprise: 13885, layout: "items", items: ["SoundPointIP-SPIP_650", "3.1.3.0439"] },
    ]);
  });

  it("reads several enterprise blocks", () => {
    const two = bytes(`00 00 00 09 02 01 "a" 00 00 36 3d 03 02 "bc"`);
    expect(parseVendorClass(two).binary).toEqual([
      { enterprise: 9, layout: "items", items: ["a"] },
      { enterprise: 13885, layout: "items", items: ["bc"] },
    ]);
  });

  it("leaves text alone: no binary form when the bytes do not parse exactly", () => {
    expect(parseVendorClass(bytes(`"MS-UC-Client"`))).toEqual({ text: "MS-UC-Client" });
    expect(parseVendorClass(bytes(`"udhcp 1.36.1" 00`))).toEqual({ text: "udhcp 1.36.1" });
    expect(parseVendorClass(bytes("00 00 36 3d 05 01 02"))).toEqual({ text: "\\x00\\x006=\\x05\\x01\\x02" });
    expect(parseVendorClass(bytes("00 00 36 3d 00"))).not.toHaveProperty("binary");
    expect(parseVendorClass(bytes("00 00 36"))).not.toHaveProperty("binary");
    expect(parseVendorClass(new Uint8Array(0))).toEqual({ text: "" });
  });

  it("text form escapes control bytes and undecodable bytes", () => {
    expect(bytesToText(bytes(`"ab" 09 "c"`))).toBe("ab\\x09c");
    expect(bytesToText(bytes(`"caf" c3 a9`))).toBe("café");
    expect(bytesToText(bytes(`"a" ff "b"`))).toBe("a\\xffb");
  });
});

describe("matchVendorClass", () => {
  it("matches globs on the text form", () => {
    expect(matchVendorClass(globMatch("MS-UC-Client"), bytes(`"MS-UC-Client"`))).toBe(true);
    expect(matchVendorClass(globMatch("Polycom-*"), bytes(`"Polycom-VVX410"`))).toBe(true);
    expect(matchVendorClass(globMatch("Polycom-*"), bytes(`"polycom-VVX410"`))).toBe(true);
    const exact = { kind: "glob", pattern: "Polycom-*", regex: globToRegExp("Polycom-*", true) } as const;
    expect(matchVendorClass(exact, bytes(`"polycom-VVX410"`))).toBe(false);
    expect(matchVendorClass(globMatch("*SoundPointIP*"), POLYCOM_IP601)).toBe(true);
  });

  it("matches the enterprise number, and a glob on one of its items", () => {
    expect(matchVendorClass(enterpriseMatch(13885), POLYCOM_IP601)).toBe(true);
    expect(matchVendorClass(enterpriseMatch(13885, "SoundPointIP-*"), POLYCOM_IP601)).toBe(true);
    expect(matchVendorClass(enterpriseMatch(13885, "SoundPointIP-SPIP_650"), POLYCOM_SPIP650_ITEMS)).toBe(
      true,
    );
    expect(matchVendorClass(enterpriseMatch(13885, "3.1.3.*"), POLYCOM_SPIP650_ITEMS)).toBe(true);
    expect(matchVendorClass(enterpriseMatch(13885, "SoundStation*"), POLYCOM_IP601)).toBe(false);
    expect(matchVendorClass(enterpriseMatch(9), POLYCOM_IP601)).toBe(false);
    expect(matchVendorClass(enterpriseMatch(13885), bytes(`"Polycom"`))).toBe(false);
  });
});

describe("globToRegExp", () => {
  it("supports * and ? and treats everything else literally, anchored", () => {
    expect(globToRegExp("a*").test("abc")).toBe(true);
    expect(globToRegExp("a*").test("xabc")).toBe(false);
    expect(globToRegExp("a?c").test("abc")).toBe(true);
    expect(globToRegExp("a?c").test("ac")).toBe(false);
    expect(globToRegExp("a.c").test("abc")).toBe(false);
    expect(globToRegExp("1.2(3)[4]{5}|+^$\\/").test("1.2(3)[4]{5}|+^$\\/")).toBe(true);
    expect(globToRegExp("*").test("line\nbreak")).toBe(true);
    expect(globToRegExp("caf?").test("café")).toBe(true);
    expect(globToRegExp("").test("")).toBe(true);
  });

  it("ignores case unless exact is asked for", () => {
    expect(globToRegExp("yealink*").test("Yealink SIP-T46U")).toBe(true);
    expect(globToRegExp("MS-UC-CLIENT").test("MS-UC-Client")).toBe(true);
    expect(globToRegExp("yealink*", true).test("Yealink SIP-T46U")).toBe(false);
    expect(globToRegExp("Yealink*", true).test("Yealink SIP-T46U")).toBe(true);
  });
});

/**
 * Class globs ignore case by default: "yealink*" used to miss "Yealink SIP-T46U" silently.
 * `case: exact` keeps the old comparison for sites that need it.
 */
import { describe, expect, it } from "vitest";
import { matchVendorClass } from "../../src/dhcp/options/index.js";
import { load, problems } from "./profile-site.js";

const text = (s: string) => new TextEncoder().encode(s);

describe("vendor-class globs", () => {
  it("match regardless of case by default", () => {
    const site = load(`  classes:
    - { name: yealink, match: { vendor-class: "yealink*" }, options: { tftp-server: http://p/ } }
`);
    const [yealink] = site.dhcp.classes;
    expect(matchVendorClass(yealink!.match, text("Yealink SIP-T46U 66.86.0.15"))).toBe(true);
    expect(matchVendorClass(yealink!.match, text("yealink"))).toBe(true);
    expect(matchVendorClass(yealink!.match, text("Grandstream GXP2170"))).toBe(false);
  });

  it("compare case as sent with case: exact", () => {
    const site = load(`  classes:
    - { name: yealink, match: { vendor-class: "yealink*", case: exact }, options: { tftp-server: http://p/ } }
    - { name: polycom, match: { enterprise: 13885, data: "vvx*", case: exact }, options: { tftp-server: http://p/ } }
`);
    const [yealink] = site.dhcp.classes;
    expect(matchVendorClass(yealink!.match, text("Yealink SIP-T46U"))).toBe(false);
    expect(matchVendorClass(yealink!.match, text("yealink"))).toBe(true);
    expect(site.dhcp.classes[1]?.match).toMatchObject({ exact: true, data: { pattern: "vvx*" } });
  });

  it("refuse other case words and warn when case has nothing to apply to, at its line", () => {
    expect(
      problems(`  classes:
    - { name: a, match: { vendor-class: "x*", case: upper }, options: {} }
`),
    ).toEqual(['lab.yaml:7:53: dhcp.classes[0].match.case: expected one of "insensitive", "exact"']);
    expect(
      problems(`  classes:
    - { name: a, match: { enterprise: 13885, case: exact }, options: {} }
`),
    ).toEqual(["lab.yaml:7:52: dhcp.classes[0].match.case: warning: case applies only to a data glob"]);
  });
});

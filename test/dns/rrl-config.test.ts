/** dns.rateLimit in site.yaml: the old two keys still mean what they did, the new ones are checked at their place. */
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { parseSite } from "../../src/config/load.js";

const BASE = `site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: 198.51.100.2 }
dns:
  zones: { fabrikam.com: ["sip A 198.51.100.20"] }
  rateLimit:
`;

function load(rateLimit: string) {
  const r = parseSite(`${BASE}${rateLimit}`, "t.yaml");
  return {
    site: r.ok ? r.site : undefined,
    errors: r.ok ? [] : r.errors.map(formatDiagnostic),
    warnings: r.warnings.map(formatDiagnostic),
  };
}

describe("dns.rateLimit", () => {
  it("accepts the two keys of earlier versions and fills in the rest", () => {
    const { site, warnings } = load("    responsesPerSecond: 200\n    slip: 3\n");
    expect(warnings).toEqual([]);
    expect(site?.dns.rateLimit).toEqual({
      responsesPerSecond: 200,
      nodataPerSecond: 5000,
      nxdomainsPerSecond: 5000,
      errorsPerSecond: 1000,
      slip: 3,
      ipv4PrefixLength: 24,
      ipv6PrefixLength: 56,
    });
  });

  it("reads every key", () => {
    const { site } = load(
      "    { responsesPerSecond: 10, nodataPerSecond: 0, nxdomainsPerSecond: 20, errorsPerSecond: 5, slip: 0, ipv4PrefixLength: 32, ipv6PrefixLength: 64 }\n",
    );
    expect(site?.dns.rateLimit).toEqual({
      responsesPerSecond: 10,
      nodataPerSecond: 0,
      nxdomainsPerSecond: 20,
      errorsPerSecond: 5,
      slip: 0,
      ipv4PrefixLength: 32,
      ipv6PrefixLength: 64,
    });
  });

  it("refuses out-of-range values and unknown keys at FILE:LINE:COL", () => {
    const { errors } = load(
      "    slip: 11\n    ipv4PrefixLength: 33\n    ipv6PrefixLength: -1\n    nxdomainsPerSecond: 1.5\n    window: 15\n",
    );
    expect(errors).toEqual([
      "t.yaml:6:11: dns.rateLimit.slip: expected a number from 0 to 10 (every Nth limited answer slips; 0 never)",
      "t.yaml:7:23: dns.rateLimit.ipv4PrefixLength: expected a prefix length from 0 to 32",
      "t.yaml:8:23: dns.rateLimit.ipv6PrefixLength: expected a prefix length from 0 to 128",
      "t.yaml:9:25: dns.rateLimit.nxdomainsPerSecond: expected a whole number, got 1.5",
      't.yaml:10:5: dns.rateLimit.window: unknown key "window"',
    ]);
  });

  it("warns at each other key's place when responsesPerSecond 0 turns the limit off", () => {
    const { site, warnings } = load("    responsesPerSecond: 0\n    nxdomainsPerSecond: 50\n");
    expect(site?.dns.rateLimit.responsesPerSecond).toBe(0);
    expect(warnings).toEqual([
      "t.yaml:7:25: dns.rateLimit.nxdomainsPerSecond: warning: ignored: responsesPerSecond 0 turns rate limiting off",
    ]);
  });
});

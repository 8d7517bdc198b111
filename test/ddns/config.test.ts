/**
 * `dhcp.ddns` and `control.token` in site.yaml: each problem is reported at its own FILE:LINE:COL.
 */
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { parseSite } from "../../src/config/load.js";
import { ddnsSiteYaml } from "./ddns-harness.js";

function problems(text: string): string[] {
  const result = parseSite(text, "site.yaml");
  const all = result.ok ? result.warnings : [...result.errors, ...result.warnings];
  return all.map(formatDiagnostic);
}

function lineOf(text: string, needle: string): number {
  return text.split("\n").findIndex((l) => l.includes(needle)) + 1;
}

describe("dhcp.ddns in site.yaml", () => {
  it("loads with the zone, reverse on and a 5 minute TTL by default", () => {
    const result = parseSite(ddnsSiteYaml(), "site.yaml");
    expect(result.ok && result.site.dhcp.ddns).toEqual({ zone: "contoso.com", reverse: true, ttl: 300 });
  });

  it("refuses a zone this box does not serve, at the zone's position", () => {
    const text = ddnsSiteYaml("{ zone: lab.example.org }");
    const line = lineOf(text, "ddns:");
    const col = (text.split("\n")[line - 1] ?? "").indexOf("lab.example.org") + 1;
    expect(problems(text)).toContainEqual(
      expect.stringContaining(
        `site.yaml:${line}:${col}: dhcp.ddns.zone: "lab.example.org" is not a zone in dns.zones`,
      ),
    );
  });

  it("warns when a subnet's addresses have no reverse zone for the PTR, at dhcp.ddns.reverse", () => {
    // A reverse zone of the file's own inside the subnet's replaces the synthesised one.
    const text = ddnsSiteYaml("{ zone: contoso.com, reverse: true }", [
      [/^ {4}contoso\.com: .*$/m, '    7.100.51.198.in-addr.arpa: ["@ NS siteboot.contoso.com."]\n$&'],
    ]);
    const line = lineOf(text, "ddns:");
    const col = (text.split("\n")[line - 1] ?? "").indexOf("true") + 1;
    expect(problems(text)).toContainEqual(
      `site.yaml:${line}:${col}: dhcp.ddns.reverse: warning: no reverse zone holds the addresses of 198.51.100.0/24: their leases get no PTR`,
    );
    expect(problems(ddnsSiteYaml()).filter((p) => p.includes("reverse zone"))).toEqual([]);
  });
});

describe("control.token in site.yaml", () => {
  const withControl = (block: string) => ddnsSiteYaml().replace(/^dhcp:\n/m, `control:\n${block}\ndhcp:\n`);

  it("warns at control.address when the endpoint listens off loopback without a token", () => {
    const text = withControl("  address: 0.0.0.0");
    const line = lineOf(text, "address: 0.0.0.0");
    expect(parseSite(text, "site.yaml").ok).toBe(true);
    expect(problems(text)).toContainEqual(
      expect.stringContaining(
        `site.yaml:${line}:12: control.address: warning: the control endpoint on 0.0.0.0 is reachable from the network without a token`,
      ),
    );
  });

  it("accepts loopback without a token, and a long token anywhere", () => {
    expect(parseSite(withControl("  address: 127.0.0.1"), "site.yaml").ok).toBe(true);
    const loaded = parseSite(
      withControl("  address: 0.0.0.0\n  token: abcdefghijklmnopqrstuvwxyz0123"),
      "site.yaml",
    );
    expect(loaded.ok && loaded.site.control.token).toBe("abcdefghijklmnopqrstuvwxyz0123");
  });

  it("refuses a short token at its position", () => {
    const text = withControl("  address: 0.0.0.0\n  token: short");
    const line = lineOf(text, "token: short");
    expect(problems(text)).toContainEqual(
      expect.stringContaining(
        `site.yaml:${line}:10: control.token: the token is 5 characters long; at least 24`,
      ),
    );
  });
});

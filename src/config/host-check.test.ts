import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "./diagnostics.js";
import type { HostNetwork } from "./host-network.js";
import { parseSite } from "./load.js";

const SITE = `site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen:
  address: 198.51.100.2
  interfaces: [lab0, lab1]
dhcp:
  subnets:
    - { subnet: 198.51.100.0/24, interface: lab0 }
    - { subnet: 203.0.113.0/24, interface: lab1, server: 203.0.113.2 }
dns: { forward: [127.0.0.1] }
`;

const HOST: HostNetwork = {
  interfaces: ["eth0", "lab0", "lab1", "lo"],
  addresses: ["127.0.0.1", "::1", "192.0.2.2", "198.51.100.2", "2001:db8::2"],
};

function hostWarnings(text: string, host: HostNetwork): string[] {
  const r = parseSite(text, "t.yaml", { host });
  if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join("\n"));
  expect(r.warnings.every((w) => w.absentOnHost)).toBe(true);
  return r.warnings.map(formatDiagnostic);
}

describe("what the file names and this host lacks", () => {
  it("finds nothing when the host has every interface and address", () => {
    expect(hostWarnings(SITE, HOST)).toEqual([]);
  });

  it("warns at each place an absent interface is named, listing the interfaces there are", () => {
    const host = { ...HOST, interfaces: ["eth0", "lab0", "lo"] };
    expect(hostWarnings(SITE, host)).toEqual([
      "t.yaml:4:22: listen.interfaces[1]: warning: interface lab1 does not exist on this host (it has eth0, lab0, lo); DHCP cannot be served on it",
      "t.yaml:8:44: dhcp.subnets[1].interface: warning: interface lab1 does not exist on this host (it has eth0, lab0, lo); this subnet cannot be served on it",
    ]);
  });

  it("warns when an address to listen on is not the host's, at the address", () => {
    const host = { ...HOST, addresses: ["127.0.0.0/8", "127.0.0.1", "192.0.2.2"] };
    expect(hostWarnings(SITE, host)).toEqual([
      "t.yaml:3:12: listen.address: warning: 198.51.100.2 is not an address of this host (it has 127.0.0.0/8, 127.0.0.1, 192.0.2.2); DNS and NTP cannot listen on it",
    ]);
    const bind = SITE.replace(
      "  address: 198.51.100.2\n",
      "  address: 198.51.100.2\n  bind: [198.51.100.2, 0.0.0.0, 127.0.0.53, '::', 2001:db8::2, 2001:db8::9]\n",
    );
    expect(hostWarnings(bind, host)).toEqual([
      "t.yaml:4:10: listen.bind[0]: warning: 198.51.100.2 is not an address of this host (it has 127.0.0.0/8, 127.0.0.1, 192.0.2.2); DNS and NTP cannot listen on it",
      "t.yaml:4:51: listen.bind[4]: warning: 2001:db8::2 is not an address of this host (it has 127.0.0.0/8, 127.0.0.1, 192.0.2.2); DNS and NTP cannot listen on it",
      "t.yaml:4:64: listen.bind[5]: warning: 2001:db8::9 is not an address of this host (it has 127.0.0.0/8, 127.0.0.1, 192.0.2.2); DNS and NTP cannot listen on it",
    ]);
  });

  it("names the provisioning servers among those that listen there, and checks them alone", () => {
    const host = { ...HOST, addresses: ["127.0.0.1"] };
    const serving = `${SITE}provisioning: { root: /tmp }\n`;
    expect(hostWarnings(serving, host)).toEqual([
      "t.yaml:3:12: listen.address: warning: 198.51.100.2 is not an address of this host (it has 127.0.0.1); DNS, NTP, TFTP and HTTP cannot listen on it",
    ]);
    const alone = serving
      .replace("dns: { forward: [127.0.0.1] }", "dns: { enabled: false }\nntp: { enabled: false }")
      .replace("{ root: /tmp }", "{ root: /tmp, tftp: { enabled: false } }");
    expect(hostWarnings(alone, host)).toEqual([
      "t.yaml:3:12: listen.address: warning: 198.51.100.2 is not an address of this host (it has 127.0.0.1); HTTP cannot listen on it",
    ]);
  });

  it("tells an IPv6 address still tentative (its interface down) from an absent one", () => {
    const host = { ...HOST, addresses: ["127.0.0.1", "198.51.100.2"], tentative: ["2001:db8::2"] };
    const bind = SITE.replace(
      "  address: 198.51.100.2\n",
      "  address: 198.51.100.2\n  bind: ['2001:DB8::2']\n",
    );
    expect(hostWarnings(bind, host)).toEqual([
      "t.yaml:4:10: listen.bind[0]: warning: 2001:DB8::2 is on this host but not usable yet (IPv6 duplicate address detection has not finished: is its interface down?); DNS and NTP cannot listen on it",
    ]);
  });

  it("checks the control endpoint's address while it is enabled", () => {
    const control = `${SITE}control: { address: 192.0.2.9, token: abcdefghijklmnopqrstuvwxyz0123 }\n`;
    expect(hostWarnings(control, HOST)).toEqual([
      "t.yaml:10:21: control.address: warning: 192.0.2.9 is not an address of this host (it has 127.0.0.1, ::1, 192.0.2.2, 198.51.100.2, 2001:db8::2); the control endpoint cannot listen on it",
    ]);
    expect(
      hostWarnings(
        `${SITE}control: { enabled: false, address: 192.0.2.9, token: abcdefghijklmnopqrstuvwxyz0123 }\n`,
        HOST,
      ),
    ).toEqual([]);
  });

  it("leaves out what is not served: interfaces with DHCP off, addresses with DNS and NTP off", () => {
    const nothing: HostNetwork = { interfaces: ["lo"], addresses: ["127.0.0.1"] };
    const quiet = SITE.replace("dhcp:\n", "dhcp:\n  enabled: false\n").replace(
      "dns: { forward: [127.0.0.1] }\n",
      "dns: { enabled: false }\nntp: { enabled: false }\n",
    );
    expect(hostWarnings(quiet, nothing)).toEqual([]);
  });

  it("is not looked at unless asked (a reload checks only the file)", () => {
    const r = parseSite(SITE, "t.yaml");
    expect(r.ok && r.warnings).toEqual([]);
  });
});

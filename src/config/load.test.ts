import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "./diagnostics.js";
import { parseSite, parseUpstream } from "./load.js";

const BASE = `site: { name: t, sipDomain: Fabrikam.com, dhcpDomain: contoso.com. }
listen: { address: 198.51.100.2 }
`;

function errors(text: string): string[] {
  const r = parseSite(text, "t.yaml");
  return r.ok ? [] : r.errors.map(formatDiagnostic);
}

function site(text: string) {
  const r = parseSite(text, "t.yaml");
  if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join("\n"));
  return r.site;
}

describe("parseUpstream", () => {
  it.each([
    ["127.0.0.1", { address: "127.0.0.1", port: 53 }],
    ["127.0.0.1:5353", { address: "127.0.0.1", port: 5353 }],
    ["::1", { address: "::1", port: 53 }],
    ["[::1]:5353", { address: "::1", port: 5353 }],
    ["[2001:DB8::1]", { address: "2001:db8::1", port: 53 }],
  ])("%s", (text, upstream) => {
    expect(parseUpstream(text)).toEqual(upstream);
  });
  it.each(["10.1", "127.0.0.1:0", "127.0.0.1:70000", "[::1]:x", "resolver.example"])("rejects %s", (text) => {
    expect(parseUpstream(text)).toHaveProperty("error");
  });
});

describe("derived settings", () => {
  it("normalises the domains and applies every default", () => {
    const s = site(BASE);
    expect([s.sipDomain, s.dhcpDomain]).toEqual(["fabrikam.com", "contoso.com"]);
    expect(s.listen).toEqual({
      address: "198.51.100.2",
      bind: ["198.51.100.2"],
      interfaces: [],
      ports: { dns: 53, dhcp: 67, ntp: 123, control: 8053, tftp: 69, http: 80, https: 443 },
    });
    expect(s.control).toEqual({ enabled: true, address: "127.0.0.1", port: 8053 });
    expect(s.log).toEqual({ level: "info", eventLevel: "debug" });
    expect(s.stateDir).toBe("/var/lib/siteboot");
    expect(s.dns.forwardTimeoutMs).toBe(2000);
    expect(s.dns.tcp).toEqual({ idleTimeoutMs: 10000, maxConnections: 128 });
    expect(s.dns.rateLimit).toEqual({ responsesPerSecond: 1000, slip: 2 });
    expect(s.ntp.stratum).toEqual({ mode: "auto" });
    expect(s.ntp.allow.map((c) => c.text)).toEqual(["127.0.0.0/8"]);
  });

  it("reads forwarders, allow lists, stratum and the name server name", () => {
    const s = site(`${BASE}dns:
  forward: [127.0.0.1:5353, "[::1]"]
  forwardAllow: [203.0.113.0/24, 127.0.0.1]
  forwardTimeout: 500ms
  nameserver: ns1.contoso.com
  zones: { contoso.com: ["www A 198.51.100.9"] }
ntp: { stratum: 3, allow: [198.51.100.7] }
`);
    expect(s.dns.forwarders).toEqual([
      { address: "127.0.0.1", port: 5353 },
      { address: "::1", port: 53 },
    ]);
    expect(s.dns.forwardAllow.map((c) => c.text)).toEqual(["203.0.113.0/24", "127.0.0.1/32"]);
    expect(s.dns.forwardTimeoutMs).toBe(500);
    expect(s.ntp.stratum).toEqual({ mode: "fixed", stratum: 3 });
    expect(s.ntp.allow.map((c) => c.text)).toEqual(["198.51.100.7/32"]);
    const zone = s.dns.zones.find((z) => z.origin === "contoso.com");
    expect(zone?.soa.data.mname).toBe("ns1.contoso.com");
    // The generated NS name lies in the zone and has no address: it is this box.
    expect(
      zone?.records.some(
        (r) => r.name === "ns1.contoso.com" && r.data.type === "A" && r.data.address === "198.51.100.2",
      ),
    ).toBe(true);
  });

  it("reports bad bind addresses, forwarders and allow lists at their positions", () => {
    expect(
      errors(`${BASE.replace("listen: { address: 198.51.100.2 }", "listen: { address: 198.51.100.2, bind: [localhost] }")}dns:
  forward: [8.8.8]
  forwardAllow: [10.0.0.1/33]
ntp: { allow: [nonsense] }
`),
    ).toEqual([
      't.yaml:2:41: listen.bind[0]: expected an IPv4 or IPv6 address, got "localhost"',
      't.yaml:4:13: dns.forward[0]: expected an upstream "address" or "address:port", got "8.8.8"',
      "t.yaml:5:18: dns.forwardAllow[0]: the prefix length must be a whole number from 0 to 32 (or a single IPv4 address)",
      "t.yaml:6:16: ntp.allow[0]: expected an IPv4 network as a.b.c.d/prefix (four decimal parts) (or a single IPv4 address)",
    ]);
  });

  it("explains wrong shapes and missing values", () => {
    expect(
      errors(
        "site: { name: t, sipDomain: a.b }\nlisten: { address: 198.51.100.2, interfaces: lab0 }\nntp: { stratum: 20 }\n",
      ),
    ).toEqual([
      "t.yaml:1:7: site.dhcpDomain: is required (expected a string)",
      't.yaml:2:46: listen.interfaces: expected a list, got "lab0"',
      't.yaml:3:17: ntp.stratum: expected "auto", "local" or a stratum from 1 to 15',
    ]);
  });

  it("reports meaning problems next to shape problems in one run", () => {
    expect(
      errors(`${BASE}ntp: { refid: TOOLONG }
dns: { zones: { contoso.com: ["x CNAME y", "x A 198.51.100.1"] } }
`),
    ).toEqual([
      't.yaml:3:15: ntp.refid: expected 1 to 4 ASCII characters, got "TOOLONG"',
      "t.yaml:4:31: dns.zones.contoso.com[0]: x.contoso.com has a CNAME beside other data (A); a CNAME must be the name's only record",
    ]);
  });

  it("warns when DNS can answer nothing", () => {
    const r = parseSite(BASE, "t.yaml");
    expect(r.ok && r.warnings.map(formatDiagnostic)).toEqual([
      "t.yaml:1:1: dns: warning: DNS is enabled with no zones and no forwarders: every query is REFUSED",
    ]);
    const off = parseSite(`${BASE}dns: { enabled: false }\n`, "t.yaml");
    expect(off.ok && off.warnings).toEqual([]);
  });

  it("refuses a document that is not a mapping", () => {
    expect(errors("- just\n- a list\n")[0]).toMatch(/^t\.yaml:1:1: expected a mapping/);
  });
});

describe("server identifiers", () => {
  const relayed = (
    server: string,
    iface = "",
  ) => `${BASE.replace("listen: { address: 198.51.100.2 }", "listen: { address: 198.51.100.2, interfaces: [lab0] }")}dhcp:
  subnets:
    - { subnet: 198.51.100.0/24, interface: lab0, pools: [198.51.100.100-198.51.100.110] }
    - { subnet: 203.0.113.0/24, ${iface}server: ${server}, router: 203.0.113.1, pools: [203.0.113.50-203.0.113.60] }
`;
  it("a relayed subnet may name this box's address outside it", () => {
    expect(site(relayed("198.51.100.2")).dhcp.subnets[1]?.serverId).toBe(0xc6336402);
  });
  it("a directly served subnet needs its server identifier inside it", () => {
    expect(errors(relayed("198.51.100.2", "interface: lab0, "))).toEqual([
      "t.yaml:6:58: dhcp.subnets[1].server: 198.51.100.2 is not a host address inside 203.0.113.0/24 (the subnet is served on lab0)",
    ]);
  });
});

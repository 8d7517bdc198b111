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
    expect(s.dns.rateLimit).toEqual({
      responsesPerSecond: 1000,
      nodataPerSecond: 5000,
      nxdomainsPerSecond: 5000,
      errorsPerSecond: 1000,
      slip: 2,
      ipv4PrefixLength: 24,
      ipv6PrefixLength: 56,
    });
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
      't.yaml:2:41: listen.bind[0]: expected an IPv4 address a.b.c.d (four decimal parts, each 0 to 255) or an IPv6 address, got "localhost"',
      't.yaml:4:13: dns.forward[0]: expected an IPv4 address a.b.c.d (four decimal parts, each 0 to 255) in the upstream "address" or "address:port", got "8.8.8"',
      "t.yaml:5:18: dns.forwardAllow[0]: the prefix length must be a whole number from 0 to 32",
      't.yaml:6:16: ntp.allow[0]: expected an IPv4 address a.b.c.d (four decimal parts, each 0 to 255) or a network a.b.c.d/prefix, got "nonsense"',
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

describe("every IPv4 field refuses a part above 255 where it is written", () => {
  const SITE = `site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen:
  address: 198.51.100.2
  bind: [198.51.100.2, 127.0.0.1]
  interfaces: [lab0]
control: { address: 127.0.0.1 }
dhcp:
  options: { dns-servers: [198.51.100.2] }
  subnets:
    - subnet: 198.51.100.0/24
      interface: lab0
      server: 198.51.100.2
      router: 198.51.100.1
      pools: [198.51.100.100-198.51.100.199]
      options: { tftp-server-address: [198.51.100.40] }
  hosts:
    - { mac: "00:04:f2:00:00:01", address: 198.51.100.50 }
dns:
  forward: [127.0.0.1]
  forwardAllow: [198.51.100.7]
  zones:
    contoso.com:
      - www A 198.51.100.10
ntp: { allow: [198.51.100.9] }
`;
  it("starts from a valid site", () => {
    expect(errors(SITE)).toEqual([]);
  });

  // [the address written, the text before it on its line, where the error must point, the path]
  it.each([
    ["198.51.100.2", "  address: ", "3:12", "listen.address"],
    ["127.0.0.1", "  bind: [198.51.100.2, ", "4:24", "listen.bind[1]"],
    ["127.0.0.1", "control: { address: ", "6:21", "control.address"],
    ["198.51.100.2", "  options: { dns-servers: [", "8:28", "dhcp.options.dns-servers[0]"],
    ["198.51.100.2", "      server: ", "12:15", "dhcp.subnets[0].server"],
    ["198.51.100.1", "      router: ", "13:15", "dhcp.subnets[0].router"],
    ["198.51.100.100", "      pools: [", "14:15", "dhcp.subnets[0].pools[0]"],
    ["198.51.100.199", "      pools: [198.51.100.100-", "14:15", "dhcp.subnets[0].pools[0]"],
    [
      "198.51.100.40",
      "      options: { tftp-server-address: [",
      "15:40",
      "dhcp.subnets[0].options.tftp-server-address[0]",
    ],
    ["198.51.100.50", '    - { mac: "00:04:f2:00:00:01", address: ', "17:44", "dhcp.hosts[0].address"],
    ["127.0.0.1", "  forward: [", "19:13", "dns.forward[0]"],
    ["198.51.100.7", "  forwardAllow: [", "20:18", "dns.forwardAllow[0]"],
    ["198.51.100.10", "      - www A ", "23:9", "dns.zones.contoso.com[0]"],
    ["198.51.100.9", "ntp: { allow: [", "24:16", "ntp.allow[0]"],
  ])("%s after %j", (address, before, at, path) => {
    const typo = `${address.split(".").slice(0, 3).join(".")}.350`;
    expect(SITE).toContain(`\n${before}${address}`);
    const text = SITE.replace(`\n${before}${address}`, `\n${before}${typo}`);
    const found = errors(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      new RegExp(`^t\\.yaml:${at}: ${path.replace(/[.[\]]/g, "\\$&")}: .*expected an IPv4 address`),
    );
  });

  it("a subnet with such a part is refused alone, without reservations or interfaces following it", () => {
    expect(errors(SITE.replace("- subnet: 198.51.100.0/24", "- subnet: 198.51.100.350/24"))).toEqual([
      "t.yaml:10:15: dhcp.subnets[0].subnet: expected an IPv4 network a.b.c.d/prefix (four decimal parts, each 0 to 255)",
    ]);
  });
});

describe("lease times", () => {
  const dhcp = (text: string) => `${BASE}dhcp:\n${text}`;
  it("a global lease time too short is reported where it is written, once", () => {
    expect(
      errors(
        dhcp("  leaseTime: 8\n  subnets:\n    - subnet: 198.51.100.0/24\n    - subnet: 203.0.113.0/24\n"),
      ),
    ).toEqual(["t.yaml:4:14: dhcp.leaseTime: a lease shorter than 60 seconds makes phones renew constantly"]);
    expect(errors(dhcp("  leaseTime: 1\n  subnets:\n    - subnet: 198.51.100.0/24\n"))).toEqual([
      "t.yaml:4:14: dhcp.leaseTime: a lease shorter than 60 seconds makes phones renew constantly",
    ]);
  });
  it("a subnet's own lease time and timers are reported on the subnet", () => {
    expect(
      errors(
        dhcp(
          "  subnets:\n    - { subnet: 198.51.100.0/24, leaseTime: 30s }\n    - { subnet: 203.0.113.0/24, rebindTime: 9h }\n",
        ),
      ),
    ).toEqual([
      "t.yaml:5:45: dhcp.subnets[0].leaseTime: a lease shorter than 60 seconds makes phones renew constantly",
      "t.yaml:6:45: dhcp.subnets[1].rebindTime: expected renewTime (14400s) < rebindTime (32400s) < leaseTime (28800s)",
    ]);
  });
});

describe("a union of mappings", () => {
  it("reports a wrong value inside the form it is written in at that value", () => {
    expect(
      errors(
        `${BASE}dhcp:\n  classes:\n    - { name: a, match: { enterprise: x } }\n    - { name: b, match: { vendor-class: 5 } }\n    - { name: c, match: { vendor-class: a, enterprise: 1 } }\n`,
      ),
    ).toEqual([
      't.yaml:5:39: dhcp.classes[0].match.enterprise: expected a number, got "x"',
      "t.yaml:6:41: dhcp.classes[1].match.vendor-class: expected a string, got 5",
      't.yaml:7:25: dhcp.classes[2].match: expected { vendor-class: "glob" } or { enterprise: number, data?: "glob" }, each with an optional case: exact',
    ]);
  });
});

describe("settings another setting leaves without effect", () => {
  const warnings = (text: string) => {
    const r = parseSite(text, "t.yaml");
    if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join("\n"));
    return r.warnings.map(formatDiagnostic);
  };
  const ZONE = 'dns:\n  zones: { contoso.com: ["www A 198.51.100.9"] }\n';

  it("warns of forwarding settings with no forwarder, at each value", () => {
    expect(
      warnings(`${BASE}${ZONE}  forwardAllow: [198.51.100.0/24]\n  forwardTimeout: 1s\n  cacheSize: 5\n`),
    ).toEqual([
      "t.yaml:5:17: dns.forwardAllow: warning: has no effect: dns.forward is empty, so nothing is forwarded",
      "t.yaml:6:19: dns.forwardTimeout: warning: has no effect: dns.forward is empty, so nothing is forwarded",
      "t.yaml:7:14: dns.cacheSize: warning: has no effect: dns.forward is empty, so nothing is forwarded",
    ]);
    expect(warnings(`${BASE}${ZONE}  forward: [127.0.0.1]\n  forwardTimeout: 1s\n`)).toEqual([]);
  });

  it("warns of localStratum unless the stratum is local", () => {
    expect(warnings(`${BASE}${ZONE}ntp: { stratum: 3, localStratum: 5 }\n`)).toEqual([
      "t.yaml:5:34: ntp.localStratum: warning: has no effect: it applies only with stratum: local (stratum is 3)",
    ]);
    expect(warnings(`${BASE}${ZONE}ntp: { stratum: local, localStratum: 5 }\n`)).toEqual([]);
    expect(warnings(`${BASE}${ZONE}ntp: { enabled: false, localStratum: 5 }\n`)).toEqual([]);
  });
});

describe("DNS durations", () => {
  it("a default TTL is whole seconds a TTL can hold; timeouts are longer than zero", () => {
    const zone = "zones: { contoso.com: [www A 198.51.100.9] }";
    expect(
      errors(
        `${BASE}dns:\n  ttl: 500ms\n  negativeTtl: 99999999999\n  ${zone}\n  forward: [127.0.0.1]\n  forwardTimeout: 0\n  tcp: { idleTimeout: 0s }\n`,
      ),
    ).toEqual([
      "t.yaml:4:8: dns.ttl: a TTL is a whole number of seconds up to 2147483647",
      "t.yaml:5:16: dns.negativeTtl: a TTL is a whole number of seconds up to 2147483647",
      "t.yaml:8:19: dns.forwardTimeout: expected a duration longer than zero",
      "t.yaml:9:23: dns.tcp.idleTimeout: expected a duration longer than zero",
    ]);
    expect(
      site(`${BASE}dns: { ttl: 0, negativeTtl: 2147483647, forwardTimeout: 500ms, ${zone} }\n`).dns.zones[0]
        ?.soa.data,
    ).toMatchObject({ minimum: 2147483647 });
  });
});

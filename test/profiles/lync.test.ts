/**
 * The OCS 2007 R2 / Lync profile: the CX700 guide's Step 1.2 record set from one line, option 43
 * for MS-UC-Client and option 120, each at the profile's FILE:LINE, and explicit settings winning.
 */
import { describe, expect, it } from "vitest";
import { explain } from "../../src/cli/explain.js";
import { formatSite } from "../../src/cli/print-site.js";
import { splitOption, toHex } from "../../src/dhcp/options/index.js";
import { generated, load, problems } from "./profile-site.js";

const LYNC = `profiles:
  lync: { pool: { name: pool01, address: 198.51.100.20 }, exchange: 198.51.100.30, ntp: self, dc: { name: dc01, address: 198.51.100.10 } }
`;
const ascii = (s: string) => toHex(new TextEncoder().encode(s));

describe("profiles.lync", () => {
  it("generates the guide's record set, every record at the profile's line", () => {
    const site = load(LYNC);
    expect(generated(site, "lync").sort()).toEqual(
      [
        "_sipinternaltls._tcp.fabrikam.com SRV 0 0 5061 pool01.contoso.com ; line 7",
        "_sip._tls.fabrikam.com SRV 0 0 443 sip.fabrikam.com ; line 7",
        "sip.fabrikam.com A 198.51.100.20 ; line 7",
        "autodiscover.fabrikam.com A 198.51.100.30 ; line 7",
        "_ntp._udp.fabrikam.com SRV 0 0 123 ntp.contoso.com ; line 7",
        "pool01.contoso.com A 198.51.100.20 ; line 7",
        "ucupdates-r2.contoso.com A 198.51.100.20 ; line 7",
        "ntp.contoso.com A 198.51.100.2 ; line 7",
        "contoso.com A 198.51.100.10 ; line 7",
        "dc01.contoso.com A 198.51.100.10 ; line 7",
        "_ldap._tcp.dc._msdcs.contoso.com SRV 0 100 389 dc01.contoso.com ; line 7",
        "_kerberos._tcp.dc._msdcs.contoso.com SRV 0 100 88 dc01.contoso.com ; line 7",
      ].sort(),
    );
    // Columns point at each host setting of the line.
    const sources = site.dns.zones.flatMap((z) => z.records).filter((r) => r.profile === "lync");
    const col = (name: string) => sources.find((r) => r.name === name)?.source?.col;
    expect([col("pool01.contoso.com"), col("autodiscover.fabrikam.com"), col("ntp.contoso.com")]).toEqual([
      17, 69, 89,
    ]);
  });

  it("publishes _sipinternal._tcp only when asked, and points _sip._tls at the edge", () => {
    const site = load(`profiles:
  lync: { pool: pool01.contoso.com, edge: { name: edge.fabrikam.com, address: 198.51.100.21 }, sipInternal: true }
dns:
  zones:
    contoso.com: [pool01 A 198.51.100.20]
`);
    expect(generated(site, "lync").sort()).toEqual(
      [
        "_sipinternaltls._tcp.fabrikam.com SRV 0 0 5061 pool01.contoso.com ; line 7",
        "_sipinternal._tcp.fabrikam.com SRV 0 0 5060 pool01.contoso.com ; line 7",
        "sip.fabrikam.com CNAME pool01.contoso.com ; line 7",
        "ucupdates-r2.contoso.com CNAME pool01.contoso.com ; line 7",
        "edge.fabrikam.com A 198.51.100.21 ; line 7",
        "_sip._tls.fabrikam.com SRV 0 0 443 edge.fabrikam.com ; line 7",
      ].sort(),
    );
    // _sipinternal._tcp stands at the key that asked for it.
    const line =
      "  lync: { pool: pool01.contoso.com, edge: { name: edge.fabrikam.com, address: 198.51.100.21 }, sipInternal: true }";
    const record = site.dns.zones.flatMap((z) => z.records).find((r) => r.name.startsWith("_sipinternal."));
    expect(record?.source?.col).toBe(line.indexOf("sipInternal: true") + "sipInternal: ".length + 1);
  });

  it("encodes option 43 for MS-UC-Client as Microsoft's DHCPUtil values, and 120 as RFC 3361 names", () => {
    const site = load(LYNC);
    const lync = site.dhcp.classes.find((c) => c.name === "lync");
    expect(lync?.match).toMatchObject({ kind: "glob", pattern: "MS-UC-Client" });
    // "Obtaining Values of DHCP Options by Using DHCPUtil.exe" (Lync Server 2010, technet gg412828):
    // Id=1 value 4D532D55432D436C69656E74 (MS-UC-Client), Id=2 value 6874747073 (https); Id=3 the
    // internal web FQDN, Id=4 the port 443 and Id=5 /CertProv/CertProvisioningService.svc as text
    // ("Configuring DHCP Options to Enable Sign-in for IP Phones", gg398088; AudioCodes LTRT-09960
    // table 2-1 gives the same ASCII values).
    const sub = (code: number, hex: string) =>
      `${code.toString(16).padStart(2, "0")} ${(hex.replace(/ /g, "").length / 2).toString(16).padStart(2, "0")} ${hex}`;
    const expected = [
      sub(1, "4d 53 2d 55 43 2d 43 6c 69 65 6e 74"),
      sub(2, "68 74 74 70 73"),
      sub(3, ascii("pool01.contoso.com")),
      sub(4, ascii("443")),
      sub(5, ascii("/CertProv/CertProvisioningService.svc")),
    ].join(" ");
    const option43 = lync!.options.get(43)!;
    expect(toHex(splitOption(43, option43.data))).toBe(`2b 55 ${expected}`);
    // RFC 3361 encoding 0, then the pool FQDN in RFC 1035 labels (the Lync deployment guide: "the
    // encoding type is 0", then each label's length and its characters).
    expect(toHex(splitOption(120, lync!.options.get(120)!.data))).toBe(
      `78 15 00 06 ${ascii("pool01")} 07 ${ascii("contoso")} 03 ${ascii("com")} 00`,
    );
    expect([option43.profile, option43.source.line, lync?.options.get(120)?.source.col]).toEqual([
      "lync",
      7,
      17,
    ]);
  });

  it("takes webServices name, port and path for option 43", () => {
    const site = load(`profiles:
  lync: { pool: { name: pool01, address: 198.51.100.20 }, webServices: { name: web.contoso.com, port: 4443, path: /cp } }
`);
    expect(site.dhcp.classes.find((c) => c.name === "lync")?.options.get(43)?.display).toBe(
      '{1: "MS-UC-Client", 2: "https", 3: "web.contoso.com", 4: "4443", 5: "/cp"}',
    );
  });

  it("lets explicit records and class options win, and says so in check and explain", () => {
    const site = load(`${LYNC}dns:
  zones:
    fabrikam.com:
      - sip A 198.51.100.99
`);
    const sip = site.dns.zones.flatMap((z) => z.records).filter((r) => r.name === "sip.fabrikam.com");
    expect(sip.map((r) => [r.data.type === "A" && r.data.address, r.profile, r.source?.line])).toEqual([
      ["198.51.100.99", undefined, 11],
    ]);
    expect(site.profiles?.overridden).toEqual([
      expect.objectContaining({
        profile: "lync",
        what: "sip.fabrikam.com A 198.51.100.20",
        by: expect.objectContaining({ line: 11 }),
      }),
    ]);
    const text = formatSite(site);
    expect(text).toContain("# profile lync at lab.yaml:7:3: 11 records, class lync");
    expect(text).toContain(
      "#   replaced: sip.fabrikam.com A 198.51.100.20 (lab.yaml:7:17) by the explicit setting at lab.yaml:11:9",
    );
  });

  it("merges an explicit class of the same name option by option", () => {
    const yaml = `  classes:
    - { name: lync, match: { vendor-class: "MS-UC-*" }, options: { sip-servers: [sip2.contoso.com] } }
${LYNC}`;
    const site = load(yaml);
    const lync = site.dhcp.classes.filter((c) => c.name === "lync");
    expect(lync).toHaveLength(1);
    expect(lync[0]?.match).toMatchObject({ pattern: "MS-UC-*" });
    expect(lync[0]?.options.get(120)?.display).toBe("[sip2.contoso.com]");
    expect(lync[0]?.options.get(43)?.profile).toBe("lync");
    const text = explain(site, { mac: "00:04:f2:00:00:09", vendorClass: "MS-UC-Client" });
    if ("error" in text) throw new Error(text.error);
    const lines = text.lines.join("\n");
    expect(lines).toMatch(/43 +vendor-encapsulated-options .* class \(profile lync\) +lab\.yaml:9:17/);
    expect(lines).toMatch(/120 +sip-servers +\[sip2\.contoso\.com\] +class +lab\.yaml:7:/);
    expect(lines).toContain(
      "replaced: class lync option 120 (sip-servers) [pool01.contoso.com] from profile lync (lab.yaml:9:17) by lab.yaml:7:",
    );
    expect(lines).toContain("Precedence: host > class > subnet > global");
  });

  it("reports bad host settings at their own position", () => {
    expect(
      problems(`profiles:
  lync: { pool: { name: pool01, address: "10.1" }, dc: "bad name!", exchange: { name: x.example.net, address: 198.51.100.30 } }
`),
    ).toEqual([
      'lab.yaml:7:42: profiles.lync.pool.address: expected an IPv4 address a.b.c.d (four decimal parts, each 0 to 255) or "self", got "10.1"',
      'lab.yaml:7:56: profiles.lync.dc: the label "bad name!" may hold only letters, digits, "-" and "_", and may not start or end with "-"',
      "lab.yaml:7:79: profiles.lync.exchange: x.example.net is outside the site's zones (site.sipDomain, site.dhcpDomain and dns.zones); use a name inside one of them",
    ]);
    expect(problems("profiles:\n  lync: { pol: x }\n")).toEqual([
      'lab.yaml:7:9: profiles.lync.pool: is required: expected an address (or "self"), a name, or { name, address }',
      'lab.yaml:7:11: profiles.lync.pol: unknown key "pol" (did you mean "pool"?)',
    ]);
  });
});

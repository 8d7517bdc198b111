import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { layeredOptions } from "../../src/config/dhcp/layers.js";
import { loadSite, parseSite } from "../../src/config/load.js";
import type { Site } from "../../src/config/site.js";
import { toHex } from "../../src/dhcp/options/index.js";
import { Catalog, NO_PHONES } from "../../src/provision/catalog.js";

async function example(): Promise<Site> {
  const result = await loadSite("config/site.yaml");
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  expect(result.warnings).toEqual([]);
  return result.site;
}

function records(site: Site, zone: string) {
  const z = site.dns.zones.find((x) => x.origin === zone);
  if (!z) throw new Error(`no zone ${zone}`);
  return z.records.map(
    (r) => `${r.name} ${r.ttl} ${r.data.type} ${JSON.stringify({ ...r.data, type: undefined })}`,
  );
}

describe("the shipped example (the CX700 lab)", () => {
  it("has every record the CX700 sign-in sequence needs, all from the lync profile line", async () => {
    const site = await example();
    const text = readFileSync("config/site.yaml", "utf8").split("\n");
    const records = site.dns.zones.flatMap((z) => z.records);
    const names = records.map((r) => `${r.name} ${r.data.type}`);
    const signIn = [
      "contoso.com A",
      "dc01.contoso.com A",
      "pool01.contoso.com A",
      "ucupdates-r2.contoso.com A",
      "_ldap._tcp.dc._msdcs.contoso.com SRV",
      "sip.fabrikam.com A",
      "autodiscover.fabrikam.com A",
      "_sipinternaltls._tcp.fabrikam.com SRV",
      "_sip._tls.fabrikam.com SRV",
      "_ntp._udp.fabrikam.com SRV",
      "ntp.contoso.com A",
    ];
    for (const needed of signIn) {
      expect(names).toContain(needed);
      const record = records.find((r) => `${r.name} ${r.data.type}` === needed);
      expect(record?.profile).toBe("lync");
      expect(text[(record?.source?.line ?? 0) - 1]).toMatch(/^ {2}lync: \{/);
    }
    // No sign-in record is written by hand: dns.zones holds only this box and the provisioning server.
    expect(records.filter((r) => r.source && r.profile === undefined).map((r) => r.name)).toEqual([
      "siteboot.contoso.com",
      "prov.contoso.com",
    ]);
  });

  it("answers the phones' built-in time server names with this box (ntp.isolatedLab)", async () => {
    const site = await example();
    expect(site.profiles?.timeNames).toContain("time.windows.com");
    expect(site.profiles?.timeNames).toContain("0.pool.ntp.org");
    const zone = site.dns.zones.find((z) => z.origin === "time.windows.com");
    expect(zone?.records.map((r) => `${r.name} ${r.data.type} ${JSON.stringify(r.data)}`)).toContain(
      'time.windows.com A {"type":"A","address":"198.51.100.2"}',
    );
  });

  it("gives MS-UC-Client option 43 (certificate provisioning) and 120 from the lync profile", async () => {
    const site = await example();
    const lync = site.dhcp.classes.find((c) => c.name === "lync");
    expect(lync?.match.kind === "glob" && lync.match.pattern).toBe("MS-UC-Client");
    expect(lync?.options.get(120)?.display).toBe("[pool01.contoso.com]");
    expect(lync?.options.get(43)?.display).toBe(
      '{1: "MS-UC-Client", 2: "https", 3: "pool01.contoso.com", 4: "443", 5: "/CertProv/CertProvisioningService.svc"}',
    );
  });

  it("resolves self, generates SOA and NS, orders zones most specific first", async () => {
    const site = await example();
    expect(site.dns.zones.map((z) => z.origin)).toEqual([
      "100.51.198.in-addr.arpa",
      "pool.ntp.org",
      "time.windows.com",
      "contoso.com",
      "fabrikam.com",
    ]);
    const contoso = records(site, "contoso.com");
    expect(contoso[0]).toMatch(
      /^contoso\.com 3600 SOA .*"mname":"siteboot\.contoso\.com","rname":"hostmaster\.contoso\.com".*"minimum":300/,
    );
    expect(contoso[1]).toBe('contoso.com 3600 NS {"host":"siteboot.contoso.com"}');
    expect(contoso).toContain('ntp.contoso.com 3600 A {"address":"198.51.100.2"}');
  });

  it("synthesises PTR records for the A records inside the DHCP subnet", async () => {
    const site = await example();
    const reverse = site.dns.zones.find((z) => z.origin === "100.51.198.in-addr.arpa");
    expect(reverse?.synthesized).toBe(true);
    const ptr = reverse?.records
      .filter((r) => r.data.type === "PTR")
      .map((r) => `${r.name} ${r.data.type === "PTR" ? r.data.target : ""}`);
    expect(ptr).toContain("20.100.51.198.in-addr.arpa sip.fabrikam.com");
    expect(ptr).toContain("2.100.51.198.in-addr.arpa ntp.contoso.com");
    expect(ptr).toContain("10.100.51.198.in-addr.arpa dc01.contoso.com");
  });

  it("encodes the DHCP options exactly", async () => {
    const site = await example();
    const wire = (code: number) => toHex(site.dhcp.options.get(code)?.data ?? new Uint8Array());
    expect(wire(6)).toBe("c6 33 64 02");
    expect(wire(15)).toBe(toHex(new TextEncoder().encode("contoso.com")));
    expect(wire(42)).toBe("c6 33 64 02");
    // 66 and 150 name this box ("self"), which serves the phones' files (provisioning).
    expect(wire(66)).toBe(toHex(new TextEncoder().encode("198.51.100.2")));
    expect(wire(150)).toBe("c6 33 64 02");
    // RFC 3397: contoso.com, then fabrikam + a pointer to "com" at offset 8.
    expect(wire(119)).toBe("07 63 6f 6e 74 6f 73 6f 03 63 6f 6d 00 08 66 61 62 72 69 6b 61 6d c0 08");
    const subnet = site.dhcp.subnets[0];
    expect(subnet?.interface).toBe("lab0");
    expect(toHex(subnet?.options.get(1)?.data ?? new Uint8Array())).toBe("ff ff ff 00");
    expect(toHex(subnet?.options.get(3)?.data ?? new Uint8Array())).toBe("c6 33 64 01");
    expect(subnet?.leaseTimeSeconds).toBe(8 * 3600);
    expect([subnet?.renewSeconds, subnet?.rebindSeconds]).toEqual([4 * 3600, 7 * 3600]);
  });

  it("serves the phones' files itself: 66, 150 and Polycom's 160 name this box, and a phone's file renders", async () => {
    const site = await example();
    const provisioning = site.provisioning;
    if (!provisioning) throw new Error("the example has no provisioning section");
    expect(provisioning.root).toBe(`${process.cwd()}/config/provisioning`);
    const polycom = site.dhcp.classes.find((c) => c.name === "polycom-text");
    expect(new TextDecoder().decode(polycom?.options.get(160)?.data)).toBe("http://198.51.100.2/polycom/");
    const catalog = new Catalog(site, provisioning, NO_PHONES);
    const reserved = await catalog.lookup("polycom/0004f2000001.cfg", { client: "198.51.100.50" });
    const other = await catalog.lookup("polycom/0004F2ABCDEF.cfg", { client: "198.51.100.100" });
    if (reserved.kind !== "rendered" || other.kind !== "rendered") throw new Error("not rendered");
    // The reservation's own vars win over the section's.
    expect(reserved.bytes.toString()).toContain('reg.1.address="tanjay01@fabrikam.com"');
    expect(reserved.bytes.toString()).toContain('reg.1.label="1001"');
    expect(reserved.bytes.toString()).toContain("for 00:04:f2:00:00:01 (tanjay01)");
    expect(other.bytes.toString()).toContain('reg.1.address="lab@fabrikam.com"');
    expect(other.bytes.toString()).toContain("for 00:04:f2:ab:cd:ef (no reservation)");
    expect(other.bytes.toString()).toContain('tcpIpApp.sntp.address="198.51.100.2"');
  });

  it("remembers the layer and FILE:LINE of every option", async () => {
    const site = await example();
    const text = readFileSync("config/site.yaml", "utf8").split("\n");
    const option = site.dhcp.options.get(119);
    expect(option?.layer).toBe("global");
    expect(text[(option?.source.line ?? 0) - 1]).toContain("domain-search:");
    const host = site.dhcp.hosts[0];
    expect(host?.options.get(12)?.layer).toBe("host");
  });

  it("defaults forwarding and NTP access to the DHCP subnets and loopback", async () => {
    const site = await example();
    expect(site.dns.forwarders).toEqual([]);
    expect(site.dns.forwardAllow.map((c) => c.text)).toEqual(["198.51.100.0/24", "127.0.0.0/8"]);
    expect(site.ntp.allow.map((c) => c.text)).toEqual(["198.51.100.0/24", "127.0.0.0/8"]);
    expect(site.ntp.stratum).toEqual({ mode: "local", stratum: 10 });
  });
});

describe("option precedence host > class > subnet > global", () => {
  const yaml = `
site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: 198.51.100.2, interfaces: [lab0] }
dhcp:
  options: { tftp-server: global, ntp-servers: [self] }
  subnets:
    - subnet: 198.51.100.0/24
      pools: [198.51.100.100-198.51.100.110]
      options: { tftp-server: subnet, host-name: from-subnet }
  classes:
    - name: polycom
      match: { vendor-class: "Polycom*" }
      options: { tftp-server: class }
  hosts:
    - { mac: "00:04:f2:00:00:01", name: phone1, options: { tftp-server: host } }
`;
  it("takes each option from the most specific layer that sets it", () => {
    const result = parseSite(yaml, "inline.yaml");
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const { dhcp } = result.site;
    const text = (code: number, set: ReturnType<typeof layeredOptions>) =>
      new TextDecoder().decode(set.get(code)?.data);
    const subnet = dhcp.subnets[0];
    const polycom = dhcp.classes[0];
    const host = dhcp.hosts[0];
    expect(text(66, layeredOptions(dhcp, subnet, undefined, undefined))).toBe("subnet");
    expect(text(66, layeredOptions(dhcp, subnet, polycom, undefined))).toBe("class");
    expect(text(66, layeredOptions(dhcp, subnet, polycom, host))).toBe("host");
    expect(text(66, layeredOptions(dhcp, undefined, undefined, undefined))).toBe("global");
    expect(layeredOptions(dhcp, subnet, polycom, host).get(66)?.layer).toBe("host");
    // The reservation's name becomes option 12 at the host layer, over the subnet's.
    expect(text(12, layeredOptions(dhcp, subnet, undefined, host))).toBe("phone1");
    expect(layeredOptions(dhcp, subnet, undefined, undefined).get(42)?.layer).toBe("global");
  });

  it("is immutable", () => {
    const result = parseSite(yaml, "inline.yaml");
    if (!result.ok) throw new Error("invalid");
    expect(Object.isFrozen(result.site)).toBe(true);
    expect(Object.isFrozen(result.site.dhcp.subnets)).toBe(true);
    expect(Object.isFrozen(result.site.dns.zones[0]?.records)).toBe(true);
  });
});

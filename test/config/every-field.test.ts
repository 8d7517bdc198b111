import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import { formatDiagnostic, formatPath } from "../../src/config/diagnostics.js";
import { parseSite } from "../../src/config/load.js";
import { siteJsonSchema } from "../../src/config/schema.js";
import { type Case, casesOf, type JsonSchema } from "./schema-walk.js";

/**
 * A valid site that sets every field, so each case changes one value of a working file. Lists hold
 * one item of each form (the two class matches); option maps list an address option first, as the
 * first entry is the one the cases break.
 */
const BASE = {
  $schema: "./site.schema.json",
  site: { name: "lab", sipDomain: "fabrikam.com", dhcpDomain: "contoso.com" },
  listen: {
    address: "198.51.100.2",
    bind: ["198.51.100.2", "127.0.0.1"],
    interfaces: ["lab0"],
    ports: { dns: 53, dhcp: 67, ntp: 123, control: 8053 },
  },
  stateDir: "/var/lib/siteboot",
  control: { enabled: true, address: "127.0.0.1" },
  log: { level: "info", events: "debug" },
  dhcp: {
    enabled: true,
    leaseTime: "8h",
    offerHold: "30s",
    declineProbation: "10m",
    authoritative: true,
    options: { "dns-servers": ["self"], "tftp-server": "http://prov.contoso.com/" },
    subnets: [
      {
        subnet: "198.51.100.0/24",
        interface: "lab0",
        server: "198.51.100.2",
        router: "198.51.100.1",
        pools: ["198.51.100.100-198.51.100.199"],
        leaseTime: "4h",
        renewTime: "1h",
        rebindTime: "3h",
        options: { "ntp-servers": ["self"] },
      },
    ],
    classes: [
      {
        name: "polycom-text",
        match: { "vendor-class": "Polycom*" },
        options: { "tftp-server-address": ["198.51.100.40"] },
      },
      {
        name: "polycom",
        match: { enterprise: 13885, data: "CX700*" },
        options: { "tftp-server-address": ["198.51.100.40"] },
      },
    ],
    hosts: [
      {
        name: "tanjay01",
        mac: "00:04:f2:00:00:01",
        "client-id": "01:00:04:f2:00:00:01",
        address: "198.51.100.50",
        options: { "dns-servers": ["198.51.100.2"] },
        vars: { extension: "7001" },
      },
    ],
  },
  dns: {
    enabled: true,
    ttl: "1h",
    negativeTtl: "5m",
    nameserver: "ns1.contoso.com",
    zones: { "contoso.com": ["ns1 A 198.51.100.2", "www A 198.51.100.10"] },
    forward: ["127.0.0.1:5353"],
    forwardAllow: ["198.51.100.0/24"],
    forwardTimeout: "2s",
    cacheSize: 10000,
    rateLimit: { responsesPerSecond: 1000, slip: 2 },
    tcp: { idleTimeout: "10s", maxConnections: 128 },
  },
  profiles: {
    // Hosts alternate between the written forms: a mapping here, an address or "self" there.
    lync: {
      pool: { name: "pool01", address: "198.51.100.20" },
      edge: "198.51.100.21",
      webServices: {
        name: "pool01",
        protocol: "https",
        port: 443,
        path: "/CertProv/CertProvisioningService.svc",
      },
      exchange: { name: "mail", address: "198.51.100.22" },
      ntp: "self",
      dc: { name: "dc01", address: "198.51.100.10" },
      sipInternal: true,
      vendorClass: "MS-UC-Client",
    },
    polycom: { provisioning: "http://198.51.100.40/polycom/", vendorClass: "Polycom*" },
    cisco: { tftp: ["198.51.100.40"], server: "198.51.100.40", vendorClass: "Cisco*" },
    yealink: {
      provisioning: "http://198.51.100.40/yealink/",
      acs: "http://198.51.100.40/acs",
      customOption: 241,
      vendorClass: "yealink*",
    },
    snom: { provisioning: "http://198.51.100.40/snom/", file: "snom.xml", vendorClass: "snom*" },
    avaya: {
      callServer: ["198.51.100.30"],
      httpServer: ["198.51.100.40"],
      option: 242,
      settings: { L2Q: 1 },
      vendorClass: "ccp.avaya.com*",
    },
    audiocodes: { provisioning: "http://198.51.100.40/audiocodes/", vendorClass: "AUDC*" },
  },
  provisioning: {
    enabled: true,
    // Relative to the site file's folder: the tests run at the project root.
    root: "config/provisioning",
    vars: { displayName: "Phone" },
    files: [{ path: "$MA.cfg", template: "templates/polycom-phone.cfg.mustache", escape: "xml" }],
    tftp: { enabled: true, maxBlockSize: 1468, maxWindowSize: 16, timeout: "1s", retries: 5 },
    http: {
      enabled: true,
      listing: false,
      https: { cert: "test/config/fixtures/tls/cert.pem", key: "test/config/fixtures/tls/key.pem" },
    },
  },
  ntp: {
    enabled: true,
    isolatedLab: ["time.windows.com"],
    stratum: "local",
    localStratum: 10,
    refid: "LOCL",
    allow: ["198.51.100.0/24"],
    rateLimit: { enabled: true, interval: 3, burst: 8, leak: 2, kod: false },
    maxClients: 10000,
  },
};

const HOLE = "__malformed__";

/** The base site as YAML with the case's value (or key) in place, and where that value starts. */
function document(c: Case): { text: string; line: number; col: number } {
  const site = structuredClone(BASE) as Record<string, unknown>;
  let node: Record<PathSegment, unknown> = site;
  for (const [i, segment] of c.path.slice(0, -1).entries()) {
    node[segment] ??= typeof c.path[i + 1] === "number" ? [] : {};
    node = node[segment] as Record<PathSegment, unknown>;
  }
  const last = c.path[c.path.length - 1] as PathSegment;
  if (c.key) node[HOLE] = c.value;
  else node[last] = HOLE;
  const yaml = dump(site, { lineWidth: -1 });
  const offset = yaml.indexOf(HOLE);
  const before = yaml.slice(0, offset).split("\n");
  const text = yaml.replace(HOLE, JSON.stringify(c.key ? last : c.value));
  return { text, line: before.length, col: (before.at(-1)?.length ?? 0) + 1 };
}

type PathSegment = string | number;

const cases = casesOf(siteJsonSchema() as JsonSchema, BASE);

describe("every field of site.yaml", () => {
  it("starts from a site that is valid and warns of nothing", () => {
    const result = parseSite(dump(BASE), "t.yaml");
    expect(result.ok ? result.warnings.map(formatDiagnostic) : result.errors.map(formatDiagnostic)).toEqual(
      [],
    );
  });

  it("reaches every field the schema declares", () => {
    const fields = new Set(cases.filter((c) => !c.key).map((c) => formatPath(c.path)));
    for (const field of [
      "listen.bind[0]",
      "control.address",
      "dhcp.subnets[0].interface",
      "dhcp.classes[1].match.data",
      "dhcp.hosts[0].options.dns-servers",
      "dns.zones.contoso.com[0]",
      "ntp.rateLimit.kod",
    ])
      expect(fields).toContain(field);
    expect(fields.size).toBeGreaterThan(60);
  });

  it.each(
    cases.map((c) => [`${formatPath(c.path)}${c.key ? " (key)" : ""} = ${JSON.stringify(c.value)}`, c]),
  )("%s is reported where it is written", (_, c) => {
    const { text, line, col } = document(c as Case);
    const result = parseSite(text, "t.yaml");
    const found = [...(result.ok ? [] : result.errors), ...result.warnings];
    const here = found.filter((d) => d.line === line && d.col === col);
    expect(
      here.map((d) => d.path),
      `expected a diagnostic at ${line}:${col}, got:\n${found.map(formatDiagnostic).join("\n")}\n\n${text}`,
    ).toContain(formatPath((c as Case).path));
    const says = (c as Case).says;
    if (says) expect(here.map((d) => d.message).join("\n")).toMatch(says);
  });
});

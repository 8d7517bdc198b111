import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { parseSite } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "siteboot-prov-config-"));
mkdirSync(join(dir, "root", "templates"), { recursive: true });
writeFileSync(join(dir, "root", "templates", "polycom.cfg.mustache"), "reg.1.address={{vars.extension}}\n");
writeFileSync(join(dir, "root", "templates", "broken.mustache"), "{{#vars}}never closed\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = `site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: 198.51.100.2, ports: { tftp: 6969, http: 8080 } }
dns: { enabled: false }
`;

function load(text: string) {
  return parseSite(BASE + text, join(dir, "site.yaml"));
}

function problems(text: string): string[] {
  const r = load(text);
  return [...(r.ok ? [] : r.errors), ...r.warnings].map((d) => formatDiagnostic(d).replace(`${dir}/`, ""));
}

describe("provisioning section", () => {
  it("resolves the root against site.yaml's folder and applies the defaults", () => {
    const r = load(`provisioning:
  root: root
  vars: { realm: lab }
  files:
    - { path: "{mac}.cfg", template: templates/polycom.cfg.mustache }
`);
    if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join("\n"));
    const p = r.site.provisioning;
    expect(p?.root).toBe(join(dir, "root"));
    expect(p?.tftp).toEqual({
      enabled: true,
      port: 6969,
      maxBlockSize: 1468,
      maxWindowSize: 16,
      timeoutMs: 1000,
      retries: 5,
    });
    expect(p?.http).toEqual({ enabled: true, port: 8080, listing: false });
    expect(p?.files[0]?.pattern.match("0004F2000001.cfg")).toBe("00:04:f2:00:00:01");
    expect(p?.files[0]?.source).toMatchObject({ line: 8, col: 7 });
    expect(p?.files[0]?.xml).toBe(false);
    expect(p?.bind).toEqual(["198.51.100.2"]);
  });

  it("reports a missing root, a template that does not parse or leaves the root, and bad names at their lines", () => {
    expect(
      problems(`provisioning:
  root: nowhere
  vars: { "sip-user": x }
  files:
    - { path: "../{mac}.cfg", template: templates/polycom.cfg.mustache }
    - { path: "a.cfg", template: /etc/passwd }
  tftp: { timeout: 300s, blocksize: 512 }
`),
    ).toEqual([
      `site.yaml:5:9: provisioning.root: ${dir}/nowhere is not a folder`,
      'site.yaml:6:11: provisioning.vars.sip-user: "sip-user" cannot be used in a template: letters, digits and _ only',
      'site.yaml:8:15: provisioning.files[0].path: not a path inside the root: ".." in the name',
      "site.yaml:9:34: provisioning.files[1].template: not a path inside the root: absolute path",
      "site.yaml:10:20: provisioning.tftp.timeout: the TFTP timeout must be 1 to 255 seconds (RFC 2349)",
      'site.yaml:10:26: provisioning.tftp.blocksize: unknown key "blocksize" (did you mean "maxBlockSize"?)',
    ]);
    expect(
      problems(`provisioning:
  root: root
  files:
    - { path: "x.cfg", template: templates/broken.mustache }
    - { path: "y.cfg", template: templates/missing.mustache }
  tftp: { timeout: 300s }
`),
    ).toEqual([
      expect.stringMatching(
        /^site\.yaml:7:34: provisioning\.files\[0\]\.template: template does not parse: Unclosed section/,
      ),
      `site.yaml:8:34: provisioning.files[1].template: cannot read ${dir}/root/templates/missing.mustache: ENOENT`,
      "site.yaml:9:20: provisioning.tftp.timeout: the TFTP timeout must be 1 to 255 seconds (RFC 2349)",
    ]);
  });

  it("keeps reservation vars by MAC and warns when nothing uses them", () => {
    const hosts = `dhcp:
  hosts:
    - { mac: 00-04-F2-00-00-01, vars: { extension: 1001 } }
`;
    const r = load(`${hosts}provisioning: { root: root }\n`);
    expect(r.ok && r.site.provisioning?.hostVars.get("00:04:f2:00:00:01")).toEqual({ extension: 1001 });
    expect(problems(hosts)).toEqual([
      "site.yaml:6:39: dhcp.hosts[0].vars: warning: vars are used only by provisioning templates, and there is no provisioning section",
    ]);
  });

  it("turns self in option 66 and 160 into this box, with the HTTP port when it is not 80", () => {
    const r = load(`dhcp:
  options: { tftp-server: self, provisioning-server: "http://self/cfg/$MA.xml" }
provisioning: { root: root }
`);
    if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join("\n"));
    const text = (code: number) => Buffer.from(r.site.dhcp.options.get(code)?.data ?? []).toString();
    expect(text(66)).toBe("198.51.100.2");
    expect(text(160)).toBe("http://198.51.100.2:8080/cfg/$MA.xml");
  });

  it("escapes values for XML by the file name, or as the file says (Polycom .cfg files are XML)", () => {
    const r = load(`provisioning:
  root: root
  files:
    - { path: "{mac}.xml", template: templates/polycom.cfg.mustache }
    - { path: "{mac}.cfg", template: templates/polycom.cfg.mustache, escape: xml }
    - { path: "x/{mac}.xml", template: templates/polycom.cfg.mustache, escape: none }
`);
    expect(r.ok && r.site.provisioning?.files.map((f) => f.xml)).toEqual([true, true, false]);
  });

  it("warns when option 66 or 160 names this box over a protocol it does not serve", () => {
    expect(
      problems(`dhcp:
  options: { tftp-server: self, provisioning-server: "https://self/cfg" }
provisioning: { root: root, tftp: { enabled: false } }
`),
    ).toEqual([
      "site.yaml:5:27: dhcp.options.tftp-server: warning: points phones at this box over TFTP, which it does not serve (see provisioning)",
      "site.yaml:5:54: dhcp.options.provisioning-server: warning: points phones at this box over HTTPS, which it does not serve (see provisioning)",
    ]);
  });
});

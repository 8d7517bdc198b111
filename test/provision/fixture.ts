import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { parseSite } from "../../src/config/load.js";
import type { Site } from "../../src/config/site.js";
import { Catalog, type PhoneDirectory, type PhoneLease } from "../../src/provision/catalog.js";
import type { ProvisioningSite } from "../../src/provision/provisioning-site.js";

export const PHONE_MAC = "00:04:f2:00:00:01";
export const OTHER_MAC = "00:04:f2:00:00:02";

/** A provisioning root with a static file, a per-phone file, templates and a symlink out of the root. */
export interface ProvisioningFixture {
  readonly dir: string;
  readonly root: string;
  readonly site: Site;
  readonly provisioning: ProvisioningSite;
  readonly leases: Map<string, PhoneLease>;
  /** The site.yaml text as written. */
  readonly text: string;
  readonly file: string;
  readonly phones: PhoneDirectory;
  catalog(): Catalog;
  cleanup(): void;
}

export function provisioningFixture(extraYaml = ""): ProvisioningFixture {
  const dir = mkdtempSync(join(tmpdir(), "siteboot-prov-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "templates"), { recursive: true });
  mkdirSync(join(root, "firmware"));
  writeFileSync(join(root, "common.cfg"), "shared=1\n");
  writeFileSync(join(root, `${OTHER_MAC.replaceAll(":", "")}.cfg`), "own file\n");
  writeFileSync(
    join(root, "templates", "phone.cfg.mustache"),
    "mac={{MAC}}\next={{vars.extension}}\nuser={{vars.sipUser}}@{{site.sipDomain}}\nip={{lease.address}}\nserver={{site.address}}\nname={{host.name}}\n",
  );
  writeFileSync(
    join(root, "templates", "phone.xml.mustache"),
    '<phone mac="{{mac_colons}}"><label>{{vars.label}}</label></phone>\n',
  );
  writeFileSync(join(dir, "secret.txt"), "outside the root\n");
  symlinkSync(join(dir, "secret.txt"), join(root, "escape.txt"));
  symlinkSync(join(root, "common.cfg"), join(root, "alias.cfg"));
  const text = `site: { name: lab, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: 127.0.0.1, ports: { tftp: 0, http: 0, https: 0, control: 0 } }
dns: { enabled: false }
ntp: { enabled: false }
dhcp:
  hosts:
    - { name: desk-1, mac: "${PHONE_MAC}", vars: { extension: 1001, sipUser: alice, label: "R&D <1>" } }
provisioning:
  root: root
  vars: { extension: none, sipUser: nobody }
  files:
    - { path: "{mac}.cfg", template: templates/phone.cfg.mustache }
    - { path: "cfg/$MA.xml", template: templates/phone.xml.mustache }
    - { path: "phone.cfg", template: templates/phone.cfg.mustache }
${extraYaml}`;
  const file = join(dir, "site.yaml");
  writeFileSync(file, text);
  const r = parseSite(text, file);
  if (!r.ok) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(r.errors.map(formatDiagnostic).join("\n"));
  }
  const site = r.site;
  const provisioning = site.provisioning as ProvisioningSite;
  const leases = new Map<string, PhoneLease>();
  const phones: PhoneDirectory = {
    byAddress: (address) => [...leases.values()].find((l) => l.address === address),
    byMac: (mac) => leases.get(mac),
  };
  return {
    dir,
    root,
    text,
    file,
    site,
    provisioning,
    leases,
    phones,
    catalog: () => new Catalog(site, provisioning, phones),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

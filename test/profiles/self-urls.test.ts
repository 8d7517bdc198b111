/**
 * `self` in a profile's URLs and servers is this box, as it is in dhcp.options: the phone gets
 * listen.address (plus the port when the provisioning server is not on the scheme's own), never
 * the word "self".
 */
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { parseSite } from "../../src/config/load.js";

const SITE = `site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: 198.51.100.2, interfaces: [lab0], ports: { http: 8080, tftp: 69 } }
dhcp:
  subnets:
    - { subnet: 198.51.100.0/24, router: 198.51.100.1, pools: [198.51.100.100-198.51.100.199] }
profiles:
  polycom: { provisioning: http://self/polycom/ }
  cisco: { tftp: [self], server: self }
  yealink: { provisioning: tftp://self/yealink/, acs: https://self/acs, customOption: 242 }
  snom: { provisioning: http://self/snom/ }
  audiocodes: { provisioning: http://self/audc/ }
`;

/** Every option text the profile classes send, by class name and option code. */
function texts(): Map<string, string> {
  const result = parseSite(SITE, "lab.yaml");
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join("\n"));
  const site = result.site;
  const out = new Map<string, string>();
  for (const c of site.dhcp.classes)
    for (const [code, option] of c.options)
      out.set(`${c.name} ${code}`, Buffer.from(option.data).toString("latin1"));
  return out;
}

describe("self in profile values", () => {
  it("becomes this box's address, with the HTTP port when it is not 80", () => {
    const got = texts();
    expect(got.get("polycom 160")).toBe("http://198.51.100.2:8080/polycom/");
    expect(got.get("polycom 66")).toBe("http://198.51.100.2:8080/polycom/");
    expect(got.get("cisco 66")).toBe("198.51.100.2");
    expect(got.get("yealink 66")).toBe("tftp://198.51.100.2/yealink/");
    expect(got.get("yealink 242")).toBe("tftp://198.51.100.2/yealink/");
    expect(got.get("yealink 43")).toContain("https://198.51.100.2/acs");
    expect(got.get("snom 66")).toBe("http://198.51.100.2:8080/snom/");
    expect(got.get("snom 43")).toContain("http://198.51.100.2:8080/snom/\0");
    expect(got.get("audiocodes 159")).toBe("http://198.51.100.2:8080/audc/");
    for (const [where, text] of got) expect(text, where).not.toMatch(/self/);
  });
});

/** Sites for the profile tests: a small lab written inline, loaded through the real config path. */

import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { type LoadResult, parseSite } from "../../src/config/load.js";
import type { Site } from "../../src/config/site.js";

export const BASE = `site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: 198.51.100.2, interfaces: [lab0] }
dhcp:
  subnets:
    - { subnet: 198.51.100.0/24, router: 198.51.100.1, pools: [198.51.100.100-198.51.100.199] }
`;

export function parse(yaml: string): LoadResult {
  return parseSite(BASE + yaml, "lab.yaml");
}

/** The site, or a failure listing every diagnostic. */
export function load(yaml: string): Site {
  const result = parse(yaml);
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join("\n"));
  return result.site;
}

/** Every diagnostic as FILE:LINE:COL: path: message. */
export function problems(yaml: string): string[] {
  const result = parse(yaml);
  return [...(result.ok ? [] : result.errors), ...result.warnings].map(formatDiagnostic);
}

/** Zone-file lines of every record a profile generated: "name TYPE data ; line". */
export function generated(site: Site, profile: string): string[] {
  return site.dns.zones.flatMap((z) =>
    z.records
      .filter((r) => r.profile === profile)
      .map((r) => `${r.name} ${r.data.type} ${dataText(r.data)} ; line ${r.source?.line}`),
  );
}

function dataText(data: Site["dns"]["zones"][number]["records"][number]["data"]): string {
  const { type: _type, ...rest } = data;
  return Object.values(rest).join(" ");
}

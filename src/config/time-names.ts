import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { normalizeName } from "./dns-names.js";
import { formatIpv4 } from "./ipv4.js";
import type { GeneratedRecord } from "./profiles/expand.js";
import type { YamlSource } from "./yaml-source.js";

const POOL = "pool.ntp.org";
const REGIONS = ["africa", "asia", "europe", "north-america", "oceania", "south-america"];

/**
 * The time server names phones have built in, for `ntp.isolatedLab: true`:
 *  - time.windows.com: the CX700's fallback when _ntp._udp.<SIPDomain> is missing (the deployment
 *    guide, "NTP and the Polycom CX700 IP Phone"), also what Lync Phone Edition reports its time to;
 *  - pool.ntp.org with its numbered names 0-3, the continental zones and cn.pool.ntp.org (Yealink's
 *    factory default); other vendors' factory settings point into the same pool.
 */
export const BUILT_IN_TIME_NAMES: readonly string[] = [
  "time.windows.com",
  POOL,
  ...REGIONS.map((r) => `${r}.${POOL}`),
  `cn.${POOL}`,
];

/** A name and, for pool.ntp.org names, its numbered variants 0. to 3. as phones ask for them. */
export function expandTimeName(name: string): string[] {
  if (name !== POOL && !name.endsWith(`.${POOL}`)) return [name];
  if (/^\d+\./.test(name)) return [name];
  return [name, ...[0, 1, 2, 3].map((n) => `${n}.${name}`)];
}

/**
 * `ntp.isolatedLab`: every time name answers A self, authoritatively, from a zone of its own
 * (pool.ntp.org names share the zone pool.ntp.org) unless a zone of the site already holds it.
 */
export function labTimeRecords(
  source: YamlSource,
  setting: boolean | readonly string[],
  self: number,
  ntpEnabled: boolean,
  diagnostics: Diagnostic[],
): GeneratedRecord[] {
  if (setting === false) return [];
  const path: PathSegment[] = ["ntp", "isolatedLab"];
  if (!ntpEnabled) {
    diagnostics.push(
      source.diagnostic(
        "warning",
        path,
        "ntp.enabled is false: the time names point at this box, which does not answer NTP",
      ),
    );
  }
  const given: [string, PathSegment[]][] =
    setting === true ? BUILT_IN_TIME_NAMES.map((n) => [n, path]) : setting.map((n, i) => [n, [...path, i]]);
  const records: GeneratedRecord[] = [];
  const seen = new Set<string>();
  for (const [text, at] of given) {
    const checked = normalizeName(text);
    if (!checked.ok || !checked.name.includes(".")) {
      diagnostics.push(
        source.diagnostic("error", at, checked.ok ? `"${text}" is not a host name` : checked.error),
      );
      continue;
    }
    for (const name of expandTimeName(checked.name)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const zone = name === POOL || name.endsWith(`.${POOL}`) ? POOL : name;
      records.push({
        name,
        data: { type: "A", address: formatIpv4(self) },
        path: at,
        zone,
        profile: "isolatedLab",
        source: source.at(at),
      });
    }
  }
  return records;
}

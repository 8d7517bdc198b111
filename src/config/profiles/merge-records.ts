import type { Diagnostic, PathSegment } from "../diagnostics.js";
import { isInZone } from "../dns-names.js";
import { formatRecordData } from "../records.js";
import type { ProfileOverride, ResourceRecord } from "../site.js";
import type { YamlSource } from "../yaml-source.js";
import type { GeneratedRecord } from "./expand.js";

interface Draft {
  origin: string;
  records: ResourceRecord[];
  synthesized: boolean;
}

/**
 * Places generated records in the site's zones (the closest enclosing zone; else the zone the
 * generator names, created here). A record written in dns.zones replaces the generated records of
 * its name and type (a CNAME on either side replaces everything at the name); each replaced
 * record is reported in `overridden`.
 */
export function mergeGeneratedRecords(
  drafts: Map<string, Draft>,
  generated: readonly GeneratedRecord[],
  ttl: number,
  source: YamlSource,
  diagnostics: Diagnostic[],
  overridden: ProfileOverride[],
  remember: (record: ResourceRecord, path: readonly PathSegment[]) => void,
): void {
  const seen = new Set<string>();
  for (const g of generated) {
    let draft = closest(drafts, g.name);
    if (!draft) {
      if (g.zone === "") {
        diagnostics.push(
          source.diagnostic(
            "error",
            [...g.path],
            `${g.name} is outside the site's zones (site.sipDomain, site.dhcpDomain and dns.zones); use a name inside one of them`,
          ),
        );
        continue;
      }
      draft = { origin: g.zone, records: [], synthesized: false };
      drafts.set(g.zone, draft);
    }
    const identity = `${g.name} ${g.data.type} ${formatRecordData(g.data)}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    const explicit = draft.records.filter((r) => r.name === g.name && r.profile === undefined);
    const winner = explicit.find(
      (r) => r.data.type === g.data.type || r.data.type === "CNAME" || g.data.type === "CNAME",
    );
    if (winner) {
      if (winner.source)
        overridden.push({ profile: g.profile, what: identity, source: g.source, by: winner.source });
      continue;
    }
    const record: ResourceRecord = { name: g.name, ttl, data: g.data, source: g.source, profile: g.profile };
    remember(record, g.path);
    draft.records.push(record);
  }
}

function closest(drafts: Map<string, Draft>, name: string): Draft | undefined {
  let best: Draft | undefined;
  for (const draft of drafts.values()) {
    if (draft.synthesized || !isInZone(name, draft.origin)) continue;
    if (!best || draft.origin.length > best.origin.length) best = draft;
  }
  return best;
}

import { type Diagnostic, formatPath, type PathSegment } from "./diagnostics.js";
import { isInZone, normalizeName } from "./dns-names.js";
import { cidrContains, formatIpv4, parseIpv4 } from "./ipv4.js";
import type { GeneratedRecord } from "./profiles/expand.js";
import { mergeGeneratedRecords } from "./profiles/merge-records.js";
import { parseRecordLine, recordTarget } from "./records.js";
import type { Cidr, ProfileOverride, RecordData, ResourceRecord, SourceRef, Zone } from "./site.js";
import type { YamlSource } from "./yaml-source.js";

export interface DnsDerivationInput {
  readonly zones: Readonly<Record<string, readonly string[]>>;
  readonly defaultTtl: number;
  readonly negativeTtl: number;
  /** Name used in generated NS and SOA records. */
  readonly nameserver: string;
  readonly self: number;
  readonly subnets: readonly Cidr[];
  readonly forwarding: boolean;
  readonly serial: number;
  /** Records from site.yaml `profiles:`; records written in zones replace them. */
  readonly generated?: readonly GeneratedRecord[];
  /** ntp.isolatedLab time names (A self); kept out of the synthesised reverse zones. */
  readonly labTime?: readonly GeneratedRecord[];
  /** Receives the generated records that written ones replaced. */
  readonly overridden?: ProfileOverride[];
}

type Soa = Extract<RecordData, { type: "SOA" }>;
interface ZoneDraft {
  origin: string;
  records: ResourceRecord[];
  synthesized: boolean;
}

const SOA_TIMERS = { refresh: 3600, retry: 600, expire: 86400 };

/** Where each record written in the file stands (dns.zones.<zone>[i]), for later diagnostics. */
const recordPaths = new WeakMap<ResourceRecord, readonly PathSegment[]>();

function pathOf(record: ResourceRecord, origin: string): string {
  // Formatted only for a diagnostic: most records never need it.
  const path = recordPaths.get(record);
  return path === undefined ? `dns.zones.${origin}` : formatPath(path);
}

/**
 * Builds every zone of the Site from the record lines: parses and places each record, adds SOA and
 * NS where the file gives none, synthesises reverse zones for the A records inside the DHCP subnets,
 * and reports what cannot work (CNAME beside other data, targets that resolve nowhere).
 */
export function deriveZones(
  source: YamlSource,
  input: DnsDerivationInput,
  diagnostics: Diagnostic[],
): Zone[] {
  const drafts = new Map<string, ZoneDraft>();
  const originPath = (origin: string): PathSegment[] => ["dns", "zones", origin];

  for (const key of Object.keys(input.zones)) {
    const origin = normalizeName(key);
    if (!origin.ok || origin.name === "") {
      const why = origin.ok ? "the root zone cannot be served" : origin.error;
      diagnostics.push(source.diagnostic("error", originPath(key), `zone name: ${why}`, { key: true }));
      continue;
    }
    if (drafts.has(origin.name)) {
      diagnostics.push(
        source.diagnostic("error", originPath(key), `zone ${origin.name} is defined twice`, { key: true }),
      );
      continue;
    }
    drafts.set(origin.name, { origin: origin.name, records: [], synthesized: false });
  }
  const origins = [...drafts.keys()];

  for (const [key, lines] of Object.entries(input.zones)) {
    const origin = normalizeName(key);
    const draft = origin.ok ? drafts.get(origin.name) : undefined;
    if (!draft) continue;
    lines.forEach((line, index) => {
      const path = [...originPath(key), index];
      const parsed = parseRecordLine(line, draft.origin, input.self);
      if (!parsed.ok) {
        diagnostics.push(source.diagnostic("error", path, parsed.error));
        return;
      }
      const { name, ttl, data } = parsed.record;
      if (!isInZone(name, draft.origin)) {
        diagnostics.push(source.diagnostic("error", path, `${name} is outside the zone ${draft.origin}`));
        return;
      }
      const deeper = origins.find(
        (o) => o !== draft.origin && isInZone(o, draft.origin) && isInZone(name, o),
      );
      if (deeper) {
        diagnostics.push(
          source.diagnostic("error", path, `${name} belongs to the zone ${deeper}; write it there`),
        );
        return;
      }
      if (data.type === "SOA" && name !== draft.origin) {
        diagnostics.push(
          source.diagnostic("error", path, "an SOA record may stand only at the zone apex (@)"),
        );
        return;
      }
      const record = { name, ttl: ttl ?? input.defaultTtl, data, source: source.at(path) };
      recordPaths.set(record, path);
      draft.records.push(record);
    });
  }

  const merge = (generated: readonly GeneratedRecord[] | undefined) =>
    mergeGeneratedRecords(
      drafts,
      generated ?? [],
      input.defaultTtl,
      source,
      diagnostics,
      input.overridden ?? [],
      (record, path) => recordPaths.set(record, path),
    );
  merge(input.generated);
  const userZones = [...drafts.values()];
  addReverseZones(drafts, userZones, input);
  merge(input.labTime);
  for (const draft of drafts.values()) completeApex(draft, input, diagnostics, source);
  addNameserverAddress(drafts, input);
  for (const draft of drafts.values()) checkZone(draft, source, diagnostics);
  checkTargets([...drafts.values()], input, source, diagnostics);

  return [...drafts.values()].sort(byMostSpecific).map(freezeZone);
}

/** SOA first (generated when absent), then NS (generated when absent), then the records in file order. */
function completeApex(
  draft: ZoneDraft,
  input: DnsDerivationInput,
  diagnostics: Diagnostic[],
  source: YamlSource,
): void {
  const soas = draft.records.filter((r) => r.data.type === "SOA");
  for (const extra of soas.slice(1)) {
    diagnostics.push({
      severity: "error",
      ...position(extra.source, source),
      path: pathOf(extra, draft.origin),
      message: "a zone has exactly one SOA record",
    });
  }
  const soa: ResourceRecord = soas[0] ?? {
    name: draft.origin,
    ttl: input.defaultTtl,
    data: {
      type: "SOA",
      mname: input.nameserver,
      rname: `hostmaster.${draft.origin}`,
      serial: input.serial,
      ...SOA_TIMERS,
      minimum: input.negativeTtl,
    },
  };
  const hasNs = draft.records.some((r) => r.name === draft.origin && r.data.type === "NS");
  const ns: ResourceRecord[] = hasNs
    ? []
    : [{ name: draft.origin, ttl: input.defaultTtl, data: { type: "NS", host: input.nameserver } }];
  draft.records = [soa, ...ns, ...draft.records.filter((r) => r !== soa && r.data.type !== "SOA")];
}

/** When the generated NS name lies in one of our zones and has no address, it is this box. */
function addNameserverAddress(drafts: Map<string, ZoneDraft>, input: DnsDerivationInput): void {
  const home = [...drafts.values()].sort(byMostSpecific).find((d) => isInZone(input.nameserver, d.origin));
  if (!home) return;
  const usesGenerated = [...drafts.values()].some((d) =>
    d.records.some((r) => r.data.type === "NS" && r.data.host === input.nameserver && r.source === undefined),
  );
  const hasAddress = home.records.some(
    (r) =>
      r.name === input.nameserver &&
      (r.data.type === "A" || r.data.type === "AAAA" || r.data.type === "CNAME"),
  );
  if (usesGenerated && !hasAddress) {
    home.records.push({
      name: input.nameserver,
      ttl: input.defaultTtl,
      data: { type: "A", address: formatIpv4(input.self) },
    });
  }
}

/**
 * Reverse zones for the DHCP subnets (on octet boundaries), holding a PTR for every A record that
 * points inside a subnet — unless the file defines that reverse zone itself.
 */
function addReverseZones(
  drafts: Map<string, ZoneDraft>,
  userZones: readonly ZoneDraft[],
  input: DnsDerivationInput,
): void {
  // Each A record's address, parsed once for every subnet and reverse zone.
  const aRecords: { record: ResourceRecord; address: number }[] = [];
  for (const zone of userZones) {
    for (const record of zone.records) {
      const address = record.data.type === "A" ? parseIpv4(record.data.address) : undefined;
      if (address !== undefined) aRecords.push({ record, address });
    }
  }
  for (const subnet of input.subnets) {
    for (const origin of reverseOrigins(subnet)) {
      if ([...drafts.keys()].some((o) => isInZone(origin, o) || isInZone(o, origin))) continue;
      const draft: ZoneDraft = { origin, records: [], synthesized: true };
      const seen = new Set<string>();
      for (const { record, address } of aRecords) {
        if (!cidrContains(subnet, address)) continue;
        const name = reverseName(address);
        if (!isInZone(name, origin) || seen.has(`${name} ${record.name}`)) continue;
        seen.add(`${name} ${record.name}`);
        draft.records.push({ name, ttl: record.ttl, data: { type: "PTR", target: record.name } });
      }
      drafts.set(origin, draft);
    }
  }
}

export function reverseName(address: number): string {
  return `${address & 255}.${(address >>> 8) & 255}.${(address >>> 16) & 255}.${address >>> 24}.in-addr.arpa`;
}

/** Reverse zone origins covering a subnet: one per octet-aligned block, at most 256 of them. */
export function reverseOrigins(subnet: Cidr): string[] {
  let octets = Math.ceil(subnet.prefix / 8);
  if (2 ** (octets * 8 - subnet.prefix) > 256) octets = Math.floor(subnet.prefix / 8);
  octets = Math.max(1, Math.min(3, octets));
  const blockBits = 32 - octets * 8;
  const count = subnet.prefix >= octets * 8 ? 1 : 2 ** (octets * 8 - subnet.prefix);
  const origins: string[] = [];
  for (let i = 0; i < count; i++) {
    const base = (subnet.network + i * 2 ** blockBits) >>> 0;
    const parts = [base >>> 24, (base >>> 16) & 255, (base >>> 8) & 255].slice(0, octets);
    origins.push(`${parts.reverse().join(".")}.in-addr.arpa`);
  }
  return origins;
}

function checkZone(draft: ZoneDraft, source: YamlSource, diagnostics: Diagnostic[]): void {
  const byName = new Map<string, ResourceRecord[]>();
  const kept: ResourceRecord[] = [];
  const seen = new Set<string>();
  for (const record of draft.records) {
    const identity = `${record.name} ${record.data.type} ${JSON.stringify(record.data)}`;
    if (seen.has(identity)) {
      diagnostics.push({
        severity: "warning",
        ...position(record.source, source),
        path: pathOf(record, draft.origin),
        message: `duplicate ${record.data.type} record for ${record.name}; served once`,
      });
      continue;
    }
    seen.add(identity);
    kept.push(record);
    const list = byName.get(record.name) ?? [];
    list.push(record);
    byName.set(record.name, list);
  }
  draft.records = kept;
  for (const [name, records] of byName) {
    const cnames = records.filter((r) => r.data.type === "CNAME");
    if (cnames.length === 0) continue;
    if (records.length > 1) {
      const culprit = cnames[0]!;
      const others = [...new Set(records.filter((r) => r !== culprit).map((r) => r.data.type))].join(", ");
      diagnostics.push({
        severity: "error",
        ...position(culprit.source, source),
        path: pathOf(culprit, draft.origin),
        message: `${name} has a CNAME beside other data (${others}); a CNAME must be the name's only record`,
      });
    }
  }
}

function checkTargets(
  zones: readonly ZoneDraft[],
  input: DnsDerivationInput,
  source: YamlSource,
  diagnostics: Diagnostic[],
) {
  const sorted = [...zones].sort(byMostSpecific);
  const owners = new Map<string, Set<string>>();
  for (const zone of zones) {
    for (const r of zone.records) {
      const types = owners.get(r.name) ?? new Set<string>();
      types.add(r.data.type);
      owners.set(r.name, types);
    }
  }
  for (const zone of zones) {
    for (const record of zone.records) {
      if (!record.source) continue;
      const target = recordTarget(record.data);
      if (target === undefined || target === "") continue;
      const home = sorted.find((z) => isInZone(target, z.origin));
      let problem: string | undefined;
      if (home) {
        const types = owners.get(target);
        const wanted =
          record.data.type === "CNAME"
            ? types && types.size > 0
            : types && (types.has("A") || types.has("AAAA") || types.has("CNAME"));
        if (!wanted)
          problem = `${target} has no ${record.data.type === "CNAME" ? "records" : "A or AAAA record"} in the zone ${home.origin}`;
      } else if (!input.forwarding) {
        problem = `${target} is outside the site's zones and forwarding is off, so clients cannot resolve it`;
      }
      if (problem) {
        diagnostics.push({
          severity: "warning",
          ...position(record.source, source),
          path: pathOf(record, zone.origin),
          message: `${record.data.type} target resolves nowhere: ${problem}`,
        });
      }
    }
  }
}

function position(
  ref: SourceRef | undefined,
  source: YamlSource,
): { file: string; line: number; col: number } {
  return ref ? { file: ref.file, line: ref.line, col: ref.col } : { file: source.file, line: 1, col: 1 };
}

function labelCount(name: string): number {
  return name === "" ? 0 : name.split(".").length;
}

function byMostSpecific(a: { origin: string }, b: { origin: string }): number {
  // Code-point order: localeCompare would load ICU's collator (~10 ms at start-up) for ASCII names.
  return (
    labelCount(b.origin) - labelCount(a.origin) || (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0)
  );
}

function freezeZone(draft: ZoneDraft): Zone {
  const soa = draft.records[0] as ResourceRecord & { data: Soa };
  return Object.freeze({
    origin: draft.origin,
    records: Object.freeze(draft.records.map((r) => Object.freeze(r))),
    soa,
    synthesized: draft.synthesized,
  });
}

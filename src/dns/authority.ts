/**
 * The zone authority, built once per Site: the names of every zone are indexed ahead of time, and
 * each answer is rendered to wire bytes the first time it is asked for and kept, keyed by the
 * lowercase wire-format name plus qtype, so answering is a map lookup and a copy. Rendering on
 * first use keeps start-up and reload short for large zones; the set of kept answers is bounded by
 * the zone data (qtypes a name does not have share one NODATA answer). Semantics: AA on every answer; NXDOMAIN vs NODATA exact with the zone SOA in
 * the authority section at TTL min(SOA TTL, SOA MINIMUM); empty non-terminals exist (NODATA); CNAME
 * chains inside the zones are followed (bounded, loops stop); SRV/MX/NS targets' A and AAAA go in
 * the additional section; all records of an RRset are returned. Wildcards are not supported.
 */
import { isInZone } from "../config/dns-names.js";
import { formatRecordData, recordTarget } from "../config/records.js";
import type { DnsSite, ResourceRecord, Zone } from "../config/site.js";
import { typeOf, WireWriter } from "./record-writer.js";
import { HEADER_LENGTH, RCODE, rcodeName, TYPE, typeName, wireString } from "./wire.js";

/** A precompiled reply body: the sections that follow the echoed question. */
export interface CompiledAnswer {
  readonly rcode: number;
  /** Answer, authority and additional sections, pointers already aimed at the question. */
  readonly body: Buffer;
  /** Length of `body` without the additional section (used when only that does not fit). */
  readonly bodyWithoutAdditional: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
  /**
   * For per-zone NXDOMAIN templates the qname varies: the SOA owner is a pointer at this body
   * offset, patched per query to the zone origin's position inside the question. -1 otherwise.
   */
  readonly originPointerAt: number;
  readonly originWireLength: number;
  /** For events: name (lowercase, no trailing dot) or "" when it varies, type and rcode mnemonics. */
  readonly name: string;
  readonly qtypeName: string;
  readonly rcodeName: string;
  /** The answer records' data in zone-file form, for events; undefined when there are none. */
  readonly answerText: string | undefined;
}

/** What the authority needs of a parsed question. */
export interface QuestionKey {
  readonly qtype: number;
  /** Lowercase wire name, plus the 2 qtype octets when `withType` (latin1 string). */
  keyString(withType?: boolean): string;
}

export interface Authority {
  /** The answer for a name in the zones (rendered on first use); undefined when no such name exists. */
  answer(question: QuestionKey): CompiledAnswer | undefined;
  /** Lowercase wire origin → NXDOMAIN template for names under it that do not exist. */
  readonly zoneNx: ReadonlyMap<string, CompiledAnswer>;
  /** Number of zones and of names in them (for status output). */
  readonly zoneCount: number;
  readonly nameCount: number;
}

interface Node {
  readonly name: string;
  readonly zone: Zone;
  readonly rrsets: Map<number, ResourceRecord[]>;
  /** The shared answer for every other qtype: NODATA, or the CNAME chain. */
  otherTypes?: CompiledAnswer;
}

interface Resolution {
  rcode: number;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

/** CNAME hops followed inside the zones before giving up (BIND follows 16). */
const MAX_CNAME_HOPS = 16;

function closestZone(zones: readonly Zone[], name: string): Zone | undefined {
  return zones.find((z) => isInZone(name, z.origin));
}

function negativeSoa(zone: Zone): ResourceRecord {
  const soa = zone.soa;
  return { name: zone.origin, ttl: Math.min(soa.ttl, soa.data.minimum), data: soa.data };
}

export function compileAuthority(dns: DnsSite): Authority {
  const zones = dns.zones;
  const nodes = new Map<string, Node>();
  const node = (name: string, zone: Zone): Node => {
    let n = nodes.get(name);
    if (!n) {
      n = { name, zone, rrsets: new Map() };
      nodes.set(name, n);
    }
    return n;
  };
  for (const zone of zones) {
    node(zone.origin, zone);
    for (const rr of zone.records) {
      // A name belongs to its closest enclosing zone; data shadowed by a more specific zone is ignored.
      if (closestZone(zones, rr.name) !== zone) continue;
      const owner = node(rr.name, zone);
      const t = typeOf(rr.data);
      const set = owner.rrsets.get(t);
      if (set) set.push(rr);
      else owner.rrsets.set(t, [rr]);
      // Empty non-terminals: every ancestor up to the origin exists. A node that already exists
      // had its ancestors made with it.
      for (let dot = rr.name.indexOf("."); dot !== -1; dot = rr.name.indexOf(".", dot + 1)) {
        const suffix = rr.name.slice(dot + 1);
        if (!isInZone(suffix, zone.origin) || nodes.has(suffix)) break;
        node(suffix, zone);
      }
    }
  }
  const typesInUse = new Set<number>([TYPE.A, TYPE.AAAA]);
  for (const n of nodes.values()) for (const t of n.rrsets.keys()) typesInUse.add(t);

  const resolve = (qname: string, qtype: number | null): Resolution => {
    const answer: ResourceRecord[] = [];
    const seen = new Set<string>([qname]);
    let current = qname;
    let rcode: number = RCODE.NOERROR;
    let authority: ResourceRecord[] = [];
    for (let hop = 0; ; hop++) {
      const n = nodes.get(current);
      if (!n) {
        const zone = closestZone(zones, current);
        // Target outside every zone: the CNAMEs so far are the answer; the client resolves the rest.
        if (zone) {
          rcode = RCODE.NXDOMAIN;
          authority = [negativeSoa(zone)];
        }
        break;
      }
      const cname = n.rrsets.get(TYPE.CNAME);
      if (cname && qtype !== TYPE.CNAME) {
        answer.push(...cname);
        const target = (cname[0]!.data as { target: string }).target;
        // ANY at an alias answers the alias only; loops and long chains stop with what was found.
        if (qtype === TYPE.ANY || seen.has(target) || hop >= MAX_CNAME_HOPS) break;
        seen.add(target);
        current = target;
        continue;
      }
      let found = false;
      if (qtype === TYPE.ANY) {
        for (const set of n.rrsets.values()) answer.push(...set);
        found = n.rrsets.size > 0;
      } else if (qtype !== null) {
        const set = n.rrsets.get(qtype);
        if (set) answer.push(...set);
        found = set !== undefined;
      }
      if (!found) authority = [negativeSoa(n.zone)];
      break;
    }
    const additional: ResourceRecord[] = [];
    const present = new Set(answer.map((rr) => `${rr.name}/${rr.data.type}`));
    for (const rr of answer) {
      // Additional-section processing is for SRV, MX and NS (RFC 1035 §3.3, RFC 2782); a CNAME
      // chain is already followed in the answer.
      const target = rr.data.type === "CNAME" ? undefined : recordTarget(rr.data);
      if (target === undefined) continue;
      const t = nodes.get(target);
      if (!t || t.rrsets.has(TYPE.CNAME)) continue;
      for (const type of [TYPE.A, TYPE.AAAA]) {
        const key = `${target}/${typeName(type)}`;
        if (present.has(key)) continue;
        present.add(key);
        additional.push(...(t.rrsets.get(type) ?? []));
      }
    }
    return { rcode, answer, authority, additional };
  };

  /** Qtypes answered from their own rendering: the name's types and ANY (every type in use at an alias). */
  const answersOwn = (n: Node, qtype: number): boolean =>
    qtype === TYPE.ANY || n.rrsets.has(qtype) || (n.rrsets.has(TYPE.CNAME) && typesInUse.has(qtype));
  const byKey = new Map<string, Node>();
  for (const n of nodes.values()) byKey.set(wireString(n.name), n); // also validates every owner name
  const zoneNx = new Map<string, CompiledAnswer>();
  for (const zone of zones) {
    const key = wireString(zone.origin);
    if (!zoneNx.has(key)) zoneNx.set(key, renderNxTemplate(zone));
  }

  const writer = new WireWriter(0);
  const rendered = new Map<string, CompiledAnswer>();
  const answer = (question: QuestionKey): CompiledAnswer | undefined => {
    const typed = question.keyString(true);
    const kept = rendered.get(typed);
    if (kept !== undefined) return kept;
    const n = byKey.get(question.keyString(false));
    if (n === undefined) return undefined;
    const qtype = question.qtype;
    if (!answersOwn(n, qtype)) {
      n.otherTypes ??= render(writer, n.name, null, resolve(n.name, null));
      return n.otherTypes;
    }
    const fresh = render(writer, n.name, qtype, resolve(n.name, qtype));
    rendered.set(typed, fresh);
    return fresh;
  };
  return { answer, zoneNx, zoneCount: zones.length, nameCount: byKey.size };
}

/** Renders a resolution for a fixed qname: the question sits at offset 12 with this exact length. */
function render(w: WireWriter, qname: string, qtype: number | null, r: Resolution): CompiledAnswer {
  w.reset(HEADER_LENGTH + wireString(qname).length + 4);
  w.knowName(qname, HEADER_LENGTH);
  for (const rr of r.answer) w.record(rr.name, rr.ttl, rr.data);
  for (const rr of r.authority) w.record(rr.name, rr.ttl, rr.data);
  const withoutAdditional = w.length;
  for (const rr of r.additional) w.record(rr.name, rr.ttl, rr.data);
  return {
    rcode: r.rcode,
    body: w.bytes(),
    bodyWithoutAdditional: withoutAdditional,
    ancount: r.answer.length,
    nscount: r.authority.length,
    arcount: r.additional.length,
    originPointerAt: -1,
    originWireLength: 0,
    name: qname,
    qtypeName: qtype === null ? "" : typeName(qtype),
    rcodeName: rcodeName(r.rcode),
    answerText: answerText(r.answer),
  };
}

/** Rendered once per kept answer, so events carry it at no cost per query. */
function answerText(records: readonly ResourceRecord[]): string | undefined {
  return records.length === 0 ? undefined : records.map((rr) => formatRecordData(rr.data)).join(", ");
}

/** NXDOMAIN for any name under `zone`: the SOA owner is a pointer patched per query. */
function renderNxTemplate(zone: Zone): CompiledAnswer {
  const w = new WireWriter(0, false);
  const soa = negativeSoa(zone);
  w.u16(0xc000);
  w.u16(TYPE.SOA);
  w.u16(1);
  w.u32(soa.ttl);
  const lengthAt = w.length;
  w.u16(0);
  w.rdata(soa.data);
  w.setU16(lengthAt, w.length - lengthAt - 2);
  return {
    rcode: RCODE.NXDOMAIN,
    body: w.bytes(),
    bodyWithoutAdditional: w.length,
    ancount: 0,
    nscount: 1,
    arcount: 0,
    originPointerAt: 0,
    originWireLength: wireString(zone.origin).length,
    name: "",
    qtypeName: "",
    rcodeName: rcodeName(RCODE.NXDOMAIN),
    answerText: undefined,
  };
}

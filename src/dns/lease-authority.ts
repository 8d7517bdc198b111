/**
 * The zone authority with the lease host names (lease-names.ts) merged in. Answers are rendered
 * once and kept (authority.ts), so a change of names must drop them: when the names' version
 * moves, the authority is compiled again from the site's zones plus the lease records, at the
 * first query after the change (a burst of lease changes costs one compile). The zones themselves
 * do not change, so the NXDOMAIN templates stay those of the site.
 */
import { isInZone } from "../config/dns-names.js";
import type { DnsSite, ResourceRecord, Zone } from "../config/site.js";
import { type Authority, type CompiledAnswer, compileAuthority, type QuestionKey } from "./authority.js";
import type { LeaseNames } from "./lease-names.js";

export class LeaseAuthority implements Authority {
  readonly #dns: DnsSite;
  readonly #names: LeaseNames;
  readonly #base: Authority;
  #current: Authority;
  #version: number;

  constructor(dns: DnsSite, names: LeaseNames) {
    this.#dns = dns;
    this.#names = names;
    this.#base = compileAuthority(dns);
    this.#current = this.#base;
    this.#version = -1;
  }

  answer(question: QuestionKey): CompiledAnswer | undefined {
    return this.#fresh().answer(question);
  }

  get zoneNx(): ReadonlyMap<string, CompiledAnswer> {
    return this.#base.zoneNx;
  }

  get zoneCount(): number {
    return this.#base.zoneCount;
  }

  get nameCount(): number {
    return this.#fresh().nameCount;
  }

  #fresh(): Authority {
    const version = this.#names.version;
    if (version === this.#version) return this.#current;
    this.#version = version;
    const records = this.#names.records();
    this.#current = records.length === 0 ? this.#base : compileAuthority(withRecords(this.#dns, records));
    return this.#current;
  }
}

/** The site's zones with each record added to its closest enclosing zone (zones are longest first). */
function withRecords(dns: DnsSite, records: readonly ResourceRecord[]): DnsSite {
  const extra = new Map<Zone, ResourceRecord[]>();
  for (const record of records) {
    const zone = dns.zones.find((z) => isInZone(record.name, z.origin));
    if (!zone) continue;
    const list = extra.get(zone);
    if (list) list.push(record);
    else extra.set(zone, [record]);
  }
  const zones = dns.zones.map((zone) => {
    const added = extra.get(zone);
    return added ? { ...zone, records: [...zone.records, ...added] } : zone;
  });
  return { ...dns, zones };
}

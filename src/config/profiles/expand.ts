import { globToRegExp } from "../../dhcp/options/glob.js";
import { encodeOptionValue, optionByCode, parseTypeSpec } from "../../dhcp/options/index.js";
import type { Diagnostic, PathSegment } from "../diagnostics.js";
import type { ConfiguredOption, DhcpClass, ProfileOverride, SourceRef, VendorClassMatch } from "../site.js";
import type { YamlSource } from "../yaml-source.js";
import { AUDIOCODES } from "./audiocodes.js";
import { expandAvaya } from "./avaya.js";
import { expandCisco } from "./cisco.js";
import { expandLync } from "./lync.js";
import { POLYCOM } from "./polycom.js";
import type { ProfilesFile } from "./schema.js";
import { expandSnom } from "./snom.js";
import type { ProfileClass, ProfileContext, ProfileOutput, ProfileRecord } from "./types.js";
import { type UrlProfile, urlProfile } from "./vendors.js";
import { expandYealink } from "./yealink.js";

/** A generated record, placed by the DNS derivation (mergeProfileRecords). */
export interface GeneratedRecord extends ProfileRecord {
  readonly profile: string;
  readonly source: SourceRef;
}

export interface ProfileExpansion {
  readonly records: readonly GeneratedRecord[];
  readonly classes: readonly DhcpClass[];
  readonly profiles: ReadonlyMap<string, SourceRef>;
  /** Filled by the merges: profile outputs that explicit settings replaced. */
  readonly overridden: ProfileOverride[];
}

type Expander = (ctx: ProfileContext, file: never) => ProfileOutput;
const EXPANDERS: Record<keyof ProfilesFile, Expander> = {
  lync: expandLync,
  polycom: byUrl(POLYCOM),
  cisco: expandCisco,
  yealink: expandYealink,
  snom: expandSnom,
  avaya: expandAvaya,
  audiocodes: byUrl(AUDIOCODES),
};

function byUrl(spec: UrlProfile): Expander {
  return (ctx, file: { provisioning: string; vendorClass?: string }) => urlProfile(ctx, file, spec);
}

/** Runs every profile of the `profiles:` block; every problem is reported at its own key. */
export function expandProfiles(
  source: YamlSource,
  profiles: ProfilesFile | undefined,
  site: Pick<ProfileContext, "sipDomain" | "dhcpDomain" | "self" | "ports">,
  diagnostics: Diagnostic[],
): ProfileExpansion {
  const records: GeneratedRecord[] = [];
  const classes: DhcpClass[] = [];
  const where = new Map<string, SourceRef>();
  for (const [name, settings] of Object.entries(profiles ?? {})) {
    if (settings === undefined) continue;
    const path: PathSegment[] = ["profiles", name];
    where.set(name, source.keyAt(path));
    const ctx: ProfileContext = {
      ...site,
      path,
      error: (p, message) => diagnostics.push(source.diagnostic("error", [...p], message)),
      warning: (p, message) => diagnostics.push(source.diagnostic("warning", [...p], message)),
    };
    const output = EXPANDERS[name as keyof ProfilesFile](ctx, settings as never);
    for (const r of output.records) records.push({ ...r, profile: name, source: source.at(r.path) });
    for (const c of output.classes) classes.push(buildClass(ctx, source, name, c, site.self));
  }
  return { records, classes, profiles: where, overridden: [] };
}

function buildClass(
  ctx: ProfileContext,
  source: YamlSource,
  profile: string,
  c: ProfileClass,
  self: number,
): DhcpClass {
  const options = new Map<number, ConfiguredOption>();
  for (const o of c.options) {
    const spec = o.type === undefined ? optionByCode(o.code) : parseTypeSpec(o.type);
    if (spec === undefined || "error" in spec) continue;
    const encoded = encodeOptionValue(spec, o.value, { self });
    if (!encoded.ok) {
      ctx.error(o.path, `option ${o.code}: ${encoded.error}`);
      continue;
    }
    options.set(
      o.code,
      Object.freeze({
        code: o.code,
        name: optionByCode(o.code)?.name ?? `option-${o.code}`,
        type: spec.array ? `${spec.type}[]` : spec.type,
        data: encoded.data,
        display: encoded.display,
        layer: "class",
        source: source.at(o.path),
        profile,
      }),
    );
  }
  const match: VendorClassMatch =
    c.match.kind === "glob"
      ? { kind: "glob", pattern: c.match.pattern, regex: globToRegExp(c.match.pattern) }
      : { kind: "enterprise", enterprise: c.match.enterprise };
  return Object.freeze({ name: c.name, match, options, source: source.at(c.path), profile });
}

/**
 * Explicit classes first (first match wins, so they take precedence), then the profiles' classes.
 * An explicit class with a profile class's name takes its place: the explicit match and options
 * win, and the options it does not set come from the profile.
 */
export function mergeProfileClasses(
  explicit: readonly DhcpClass[],
  expansion: ProfileExpansion | undefined,
): DhcpClass[] {
  if (!expansion) return [...explicit];
  const byName = new Map(expansion.classes.map((c) => [c.name, c]));
  const merged = explicit.map((c) => {
    const generated = byName.get(c.name);
    if (!generated) return c;
    byName.delete(c.name);
    const options = new Map(c.options);
    for (const [code, option] of generated.options) {
      const mine = c.options.get(code);
      if (mine) {
        expansion.overridden.push({
          profile: option.profile ?? "",
          what: `class ${c.name} option ${code} (${option.name}) ${option.display}`,
          source: option.source,
          by: mine.source,
        });
      } else {
        options.set(code, option);
      }
    }
    return Object.freeze({ ...c, options });
  });
  return [...merged, ...expansion.classes.filter((c) => byName.has(c.name))];
}

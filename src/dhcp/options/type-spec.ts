import type { OptionDef, OptionTypeName } from "./table.js";

/** Custom option type specs accepted in site.yaml for codes outside the table: "ip", "ip[]", "u16", … */

const TYPE_NAMES: readonly OptionTypeName[] = [
  "ip",
  "u8",
  "u16",
  "u32",
  "s32",
  "bool",
  "string",
  "hex",
  "domain",
  "sip-servers",
  "vendor-options",
];

/** Types whose values can be repeated as a list of elements ("T[]"). */
const ARRAYABLE: ReadonlySet<OptionTypeName> = new Set(["ip", "u8", "u16", "u32", "s32", "bool", "domain"]);

export function parseTypeSpec(spec: string): { type: OptionTypeName; array: boolean } | { error: string } {
  const array = spec.endsWith("[]");
  const base = array ? spec.slice(0, -2) : spec;
  const type = TYPE_NAMES.find((t) => t === base);
  if (type === undefined) {
    const forms = [...TYPE_NAMES, ...[...ARRAYABLE].map((t) => `${t}[]`)];
    return { error: `unknown option type ${JSON.stringify(spec)}; expected one of ${forms.join(", ")}` };
  }
  if (array && !ARRAYABLE.has(type)) {
    const why =
      type === "sip-servers"
        ? "it is already a list"
        : type === "vendor-options"
          ? "it is a map of sub-options"
          : "its values have no length of their own";
    return { error: `type ${type} cannot be an array (${why})` };
  }
  return { type, array };
}

/** The spec form of a type, e.g. "ip[]" — what `siteboot check` prints and `parseTypeSpec` reads back. */
export function formatTypeSpec(def: Pick<OptionDef, "type" | "array">): string {
  return def.array ? `${def.type}[]` : def.type;
}

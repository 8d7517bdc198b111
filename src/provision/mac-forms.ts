/**
 * A phone's MAC in the spellings vendors use in file names, URLs and configs, and the patterns of
 * per-phone file names (`{mac}.cfg`, `$MA.cfg`, `SEP{MAC}.cnf.xml`).
 */

export interface MacForms {
  /** 0004f2000001 */
  readonly mac: string;
  /** 0004F2000001 */
  readonly MAC: string;
  /** 00:04:f2:00:00:01 */
  readonly mac_colons: string;
  /** 00:04:F2:00:00:01 */
  readonly MAC_COLONS: string;
  /** 00-04-f2-00-00-01 */
  readonly mac_dashes: string;
  /** 00-04-F2-00-00-01 */
  readonly MAC_DASHES: string;
}

const MAC_TEXT = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** Lowercase colon form of a MAC in any of the spellings above; undefined for anything else. */
export function parseMac(text: string): string | undefined {
  if (!MAC_TEXT.test(text)) return undefined;
  const hex = text.replace(/[:-]/g, "").toLowerCase();
  return hex.match(/../g)?.join(":");
}

export function macForms(colonMac: string): MacForms {
  const mac = colonMac.replaceAll(":", "");
  return {
    mac,
    MAC: mac.toUpperCase(),
    mac_colons: colonMac,
    MAC_COLONS: colonMac.toUpperCase(),
    mac_dashes: colonMac.replaceAll(":", "-"),
    MAC_DASHES: colonMac.replaceAll(":", "-").toUpperCase(),
  };
}

/** The placeholders a file pattern may hold for the MAC; they all match any spelling. */
const PLACEHOLDER = /\{mac\}|\{MAC\}|\$MA/g;

export interface FilePattern {
  readonly text: string;
  readonly perPhone: boolean;
  /** The MAC (lowercase colon form) when `name` matches, "" for a match of a pattern without one. */
  match(name: string): string | undefined;
  /** The name this pattern gives for one phone (lowercase MAC without separators, or as spelled). */
  nameFor(colonMac: string): string;
}

export function compilePattern(text: string): FilePattern {
  const parts = text.split(PLACEHOLDER);
  const placeholders = text.match(PLACEHOLDER) ?? [];
  const escaped = parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const regex = new RegExp(`^${escaped.join("([0-9A-Fa-f]{2}(?:[:-]?[0-9A-Fa-f]{2}){5})")}$`);
  return {
    text,
    perPhone: placeholders.length > 0,
    match(name) {
      const m = regex.exec(name);
      if (!m) return undefined;
      if (placeholders.length === 0) return "";
      const macs = m.slice(1).map((t) => parseMac(t ?? ""));
      const first = macs[0];
      return first !== undefined && macs.every((x) => x === first) ? first : undefined;
    },
    nameFor(colonMac) {
      const forms = macForms(colonMac);
      return text.replace(PLACEHOLDER, (p) => (p === "{MAC}" ? forms.MAC : forms.mac));
    },
  };
}

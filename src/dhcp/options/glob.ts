/**
 * Globs for vendor-class matching: `*` any run of characters, `?` exactly one, everything else
 * literal (case-sensitive, as the client sent it). Anchored at both ends.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (const ch of pattern) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${source}$`, "su");
}

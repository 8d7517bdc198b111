/**
 * Globs for vendor-class matching: `*` any run of characters, `?` exactly one, everything else
 * literal. Anchored at both ends. Case-insensitive unless `exact` is asked for: vendors change the
 * case of their own names between models and firmware ("yealink" vs "Yealink SIP-T46U").
 */
export function globToRegExp(pattern: string, exact = false): RegExp {
  let source = "";
  for (const ch of pattern) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${source}$`, exact ? "su" : "siu");
}

/**
 * How a YAML value is named in error messages ("got …"): strings quoted exactly, everything else
 * by kind, so an engineer sees what the parser actually read (`10.1` vs `"10.1"`).
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (Array.isArray(value)) return "a list";
  if (value instanceof Map || typeof value === "object") return "a map";
  return typeof value;
}

/** A string as `siteboot check` shows it: double-quoted, control characters escaped. */
export function quoteText(text: string): string {
  return JSON.stringify(text);
}

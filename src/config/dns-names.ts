/**
 * DNS names in the Site model: absolute, lowercase, without the trailing dot ("" is the root).
 * Validation follows RFC 1035 limits (labels ≤ 63 octets, names ≤ 253 characters in text form,
 * i.e. ≤ 255 octets on the wire) and allows the underscore labels SRV owners need.
 */
const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;

export type NameCheck =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly error: string };

/** Checks an absolute name given without or with a trailing dot. */
export function normalizeName(text: string): NameCheck {
  let name = text.toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name === "") return { ok: true, name: "" };
  if (name.length > 253)
    return { ok: false, error: `the name is ${name.length} characters long; at most 253 are allowed` };
  for (const label of name.split(".")) {
    if (label === "") return { ok: false, error: `"${text}" has an empty label (two dots in a row)` };
    if (Buffer.byteLength(label) > 63) {
      return {
        ok: false,
        error: `the label "${label}" is ${Buffer.byteLength(label)} octets long; at most 63 are allowed`,
      };
    }
    if (label === "*") return { ok: false, error: "wildcard records are not supported; list each name" };
    if (!LABEL.test(label)) {
      return {
        ok: false,
        error: `the label "${label}" may hold only letters, digits, "-" and "_", and may not start or end with "-"`,
      };
    }
  }
  return { ok: true, name };
}

/** Resolves a name written inside a zone: `@` is the apex, a trailing dot is absolute, else relative. */
export function resolveInZone(text: string, origin: string): NameCheck {
  if (text === "@") return { ok: true, name: origin };
  if (text.endsWith(".")) return normalizeName(text);
  return normalizeName(origin === "" ? text : `${text}.${origin}`);
}

export function isInZone(name: string, origin: string): boolean {
  if (origin === "" || name === origin) return true;
  // name ends with "." + origin; compared in place (no joined string per call).
  const dot = name.length - origin.length - 1;
  return dot >= 0 && name.charCodeAt(dot) === 0x2e && name.endsWith(origin);
}

/** Text form with the trailing dot, as zone files and dig print it. */
export function absolute(name: string): string {
  return `${name}.`;
}

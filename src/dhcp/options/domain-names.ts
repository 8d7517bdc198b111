import { describeValue } from "./describe.js";
import type { Checked } from "./results.js";

/**
 * DNS names in DHCP options (RFC 1035 3.1 wire form): one name (type "domain"), a compressed list
 * (option 119, RFC 3397) or the name form of option 120 (RFC 3361). Compression pointers are
 * offsets from the start of the option data, after RFC 3396 concatenation.
 */

const MAX_LABEL = 63;
const MAX_NAME_TEXT = 253;
const MAX_NAME_WIRE = 255;
const POINTER_LIMIT = 0x3fff;
const LABEL_TEXT = /^[A-Za-z0-9_-]+$/;

/** Parses a name as written in site.yaml into its labels; one trailing dot is allowed. */
export function parseDomainName(value: unknown): Checked<readonly string[]> {
  if (typeof value !== "string" || value === "" || value === ".") {
    return { error: `expected a domain name such as contoso.com, got ${describeValue(value)}` };
  }
  const text = value.endsWith(".") ? value.slice(0, -1) : value;
  if (text.length > MAX_NAME_TEXT) {
    return {
      error: `domain name ${JSON.stringify(value)} is ${text.length} characters long; at most ${MAX_NAME_TEXT}`,
    };
  }
  const labels = text.split(".");
  for (const label of labels) {
    if (label === "") return { error: `domain name ${JSON.stringify(value)} has an empty label` };
    if (label.length > MAX_LABEL) {
      return {
        error: `label ${JSON.stringify(label)} of ${JSON.stringify(value)} is ${label.length} octets long; at most ${MAX_LABEL}`,
      };
    }
    if (!LABEL_TEXT.test(label)) {
      return {
        error: `domain name ${JSON.stringify(value)}: labels may hold only letters, digits, "-" and "_" (use punycode for others)`,
      };
    }
  }
  return labels;
}

/**
 * Names laid end to end in RFC 1035 wire form. With `compress`, every name whose tail was already
 * written ends in a pointer to it (exact-case match, so decoding returns the names as given).
 * `base` is the offset of the first name inside the option data (1 after an encoding byte).
 */
export function encodeNames(names: readonly (readonly string[])[], compress: boolean, base = 0): Uint8Array {
  const out: number[] = [];
  const seen = new Map<string, number>();
  for (const labels of names) {
    let i = 0;
    for (; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".");
      const at = compress ? seen.get(suffix) : undefined;
      if (at !== undefined) {
        out.push(0xc0 | (at >> 8), at & 0xff);
        break;
      }
      const offset = base + out.length;
      if (compress && offset <= POINTER_LIMIT) seen.set(suffix, offset);
      const label = labels[i]!;
      out.push(label.length);
      for (let k = 0; k < label.length; k++) out.push(label.charCodeAt(k));
    }
    if (i === labels.length) out.push(0);
  }
  return Uint8Array.from(out);
}

/** A label byte as text: LDH and "_" as is, anything else as a \DDD escape (master-file style). */
function labelText(data: Uint8Array, start: number, length: number): string {
  let s = "";
  for (let i = start; i < start + length; i++) {
    const b = data[i]!;
    const c = String.fromCharCode(b);
    s += /[A-Za-z0-9_-]/.test(c) ? c : `\\${b.toString().padStart(3, "0")}`;
  }
  return s;
}

/**
 * Reads one name at `offset`; returns the name and where the next one starts. Pointers must point
 * strictly backwards (to before the pointer, then before the previous jump), so the walk ends.
 */
function readName(data: Uint8Array, offset: number): Checked<{ name: string; next: number }> {
  const labels: string[] = [];
  let pos = offset;
  let next: number | undefined;
  let limit = offset; // a pointer must land before this
  let wire = 1;
  for (;;) {
    if (pos >= data.length) return { error: `name at offset ${offset} runs past the end of the data` };
    const len = data[pos]!;
    if (len === 0) {
      next ??= pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= data.length) return { error: `compression pointer at offset ${pos} is cut short` };
      const target = ((len & 0x3f) << 8) | data[pos + 1]!;
      if (target >= limit) return { error: `compression pointer at offset ${pos} does not point backwards` };
      next ??= pos + 2;
      limit = target;
      pos = target;
      continue;
    }
    if (kind !== 0) return { error: `unsupported label type 0x${len.toString(16)} at offset ${pos}` };
    if (pos + 1 + len > data.length) return { error: `label at offset ${pos} runs past the end of the data` };
    wire += 1 + len;
    if (wire > MAX_NAME_WIRE)
      return { error: `name at offset ${offset} is longer than ${MAX_NAME_WIRE} octets` };
    labels.push(labelText(data, pos + 1, len));
    pos += 1 + len;
  }
  if (labels.length === 0) return { error: `empty (root) name at offset ${offset}` };
  return { name: labels.join("."), next };
}

/** Every name from `start` to the end of the data; at least one. */
export function decodeNames(data: Uint8Array, start = 0): Checked<readonly string[]> {
  const names: string[] = [];
  let pos = start;
  if (pos >= data.length) return { error: "no domain name in the data" };
  while (pos < data.length) {
    const r = readName(data, pos);
    if ("error" in r) return r;
    names.push(r.name);
    pos = r.next;
  }
  return names;
}

/** Display of a name list: "[contoso.com, fabrikam.com]". */
export function showNames(names: readonly string[]): string {
  return `[${names.join(", ")}]`;
}

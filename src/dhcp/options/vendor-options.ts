import { formatIpv4 } from "../../config/ipv4.js";
import { describeValue, quoteText } from "./describe.js";
import { FIXED_SIZE_CODECS, parseIpValue } from "./fixed-size.js";
import { parseHexBytes, toColonHex } from "./hex.js";
import type { Checked, EncodeContext } from "./results.js";

/**
 * Option 43, vendor-encapsulated options (RFC 2132 8.4): sub-options in the DHCP option layout
 * (code, length, data). In site.yaml a map `{ subcode: value }`, subcode 1..254; a value is text,
 * or a one-key map `{ ip | hex | u8 | u16 | u32 | string: … }`. Lengths are computed here.
 */

const SUBVALUE_KINDS = ["string", "ip", "hex", "u8", "u16", "u32"] as const;
type SubvalueKind = (typeof SUBVALUE_KINDS)[number];
const EXPECTED_SUBVALUE = `text, or a map with one of ${SUBVALUE_KINDS.map((k) => `{ ${k}: … }`).join(", ")}`;

interface SubOption {
  readonly code: number;
  readonly data: Uint8Array;
  readonly display: string;
}

function entries(value: unknown): [unknown, unknown][] | undefined {
  if (value instanceof Map) return [...value.entries()];
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return Object.entries(value);
  return undefined;
}

function parseSubcode(key: unknown): number | undefined {
  const text = typeof key === "number" ? String(key) : key;
  if (typeof text !== "string" || !/^[1-9][0-9]{0,2}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 254 ? n : undefined;
}

const utf8 = new TextEncoder();

function encodeSubvalue(value: unknown, ctx: EncodeContext): Checked<{ data: Uint8Array; display: string }> {
  if (typeof value === "string") return encodeKind("string", value, ctx);
  const pairs = entries(value);
  if (pairs === undefined || pairs.length !== 1) {
    return { error: `expected ${EXPECTED_SUBVALUE}, got ${describeValue(value)}` };
  }
  const [key, inner] = pairs[0]!;
  const kind = SUBVALUE_KINDS.find((k) => k === key);
  if (kind === undefined)
    return { error: `unknown sub-option value kind ${describeValue(key)}; expected ${EXPECTED_SUBVALUE}` };
  return encodeKind(kind, inner, ctx);
}

function encodeKind(
  kind: SubvalueKind,
  value: unknown,
  ctx: EncodeContext,
): Checked<{ data: Uint8Array; display: string }> {
  switch (kind) {
    case "string":
      if (typeof value !== "string" || value === "")
        return { error: `expected non-empty text, got ${describeValue(value)}` };
      return { data: utf8.encode(value), display: quoteText(value) };
    case "hex": {
      const data = typeof value === "string" ? parseHexBytes(value) : undefined;
      if (data === undefined)
        return { error: `expected hex bytes such as "0a:0b" (quoted), got ${describeValue(value)}` };
      return { data, display: toColonHex(data) || "(empty)" };
    }
    case "ip": {
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0) return { error: "expected at least one IPv4 address" };
      const data = new Uint8Array(4 * list.length);
      const shown: string[] = [];
      for (let i = 0; i < list.length; i++) {
        const ip = parseIpValue(list[i], ctx);
        if (typeof ip !== "number") return ip;
        data.set([ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255], 4 * i);
        shown.push(formatIpv4(ip));
      }
      return { data, display: Array.isArray(value) ? `[${shown.join(", ")}]` : shown[0]! };
    }
    default: {
      const codec = FIXED_SIZE_CODECS[kind];
      const data = codec.write(value, ctx);
      if ("error" in data) return data;
      return { data, display: String(codec.read(data, 0).value) };
    }
  }
}

export function encodeVendorOptions(
  value: unknown,
  ctx: EncodeContext,
): Checked<{ data: Uint8Array; display: string }> {
  const pairs = entries(value);
  if (pairs === undefined) {
    return {
      error: `expected a map of sub-options { subcode: value } with subcodes 1..254, got ${describeValue(value)}`,
    };
  }
  if (pairs.length === 0) return { error: "expected at least one sub-option" };
  const subs: SubOption[] = [];
  for (const [key, inner] of pairs) {
    const code = parseSubcode(key);
    if (code === undefined)
      return { error: `sub-option code ${describeValue(key)}: expected a whole number from 1 to 254` };
    if (subs.some((s) => s.code === code)) return { error: `sub-option ${code} is given twice` };
    const r = encodeSubvalue(inner, ctx);
    if ("error" in r) return { error: `sub-option ${code}: ${r.error}` };
    if (r.data.length > 255)
      return { error: `sub-option ${code}: ${r.data.length} octets long; at most 255` };
    subs.push({ code, ...r });
  }
  const data = new Uint8Array(subs.reduce((n, s) => n + 2 + s.data.length, 0));
  let at = 0;
  for (const s of subs) {
    data[at] = s.code;
    data[at + 1] = s.data.length;
    data.set(s.data, at + 2);
    at += 2 + s.data.length;
  }
  return { data, display: showSubs(subs) };
}

function showSubs(subs: readonly SubOption[]): string {
  return `{${subs.map((s) => `${s.code}: ${s.display}`).join(", ")}}`;
}

function isPrintableAscii(data: Uint8Array): boolean {
  return data.length > 0 && data.every((b) => b >= 0x20 && b <= 0x7e);
}

/**
 * Sub-options as received. Pad (0) is skipped and End (255) ends the list; only pads may follow it.
 * Printable ASCII data reads as text, anything else as `{ hex }`, so decoding and re-encoding gives
 * the same bytes.
 */
export function decodeVendorOptions(
  data: Uint8Array,
): Checked<{ value: Record<string, unknown>; display: string }> {
  const value: Record<string, unknown> = {};
  const subs: SubOption[] = [];
  let pos = 0;
  while (pos < data.length) {
    const code = data[pos]!;
    if (code === 0) {
      pos++;
      continue;
    }
    if (code === 255) {
      if (data.subarray(pos + 1).some((b) => b !== 0))
        return { error: `data after the end marker at offset ${pos}` };
      break;
    }
    if (pos + 1 >= data.length) return { error: `sub-option ${code} at offset ${pos} has no length` };
    const len = data[pos + 1]!;
    if (pos + 2 + len > data.length)
      return { error: `sub-option ${code} at offset ${pos} runs past the end of the data` };
    const body = data.slice(pos + 2, pos + 2 + len);
    if (Object.hasOwn(value, String(code))) return { error: `sub-option ${code} appears twice` };
    const text = isPrintableAscii(body) ? String.fromCharCode(...body) : undefined;
    value[String(code)] = text ?? { hex: toColonHex(body) };
    subs.push({
      code,
      data: body,
      display: text !== undefined ? quoteText(text) : toColonHex(body) || "(empty)",
    });
    pos += 2 + len;
  }
  if (subs.length === 0) return { error: "no sub-options in the data" };
  return { value, display: showSubs(subs) };
}

import { describeValue, quoteText } from "./describe.js";
import { decodeNames, encodeNames, parseDomainName, showNames } from "./domain-names.js";
import { FIXED_SIZE_CODECS, isFixedSizeType } from "./fixed-size.js";
import { parseHexBytes, toColonHex } from "./hex.js";
import type { Checked, Decoded, EncodeContext, Encoded } from "./results.js";
import { decodeSipServers, encodeSipServers } from "./sip-servers.js";
import type { OptionDef } from "./table.js";
import { decodeVendorOptions, encodeVendorOptions } from "./vendor-options.js";

/**
 * The generic option codec: one encoder and one decoder per type, chosen by the table row's
 * `type` and `array`. Encoding validates a YAML value and returns the option DATA (no code/length;
 * see split.ts for the wire instances); decoding never throws, whatever the bytes.
 */

/** Larger option data cannot fit in a DHCP message (576-octet minimum, RFC 3396 splitting aside). */
export const MAX_OPTION_DATA = 1024;

type Def = Pick<OptionDef, "type" | "array">;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

export function encodeOptionValue(def: Def, value: unknown, ctx: EncodeContext = {}): Encoded {
  let r: Checked<{ data: Uint8Array; display?: string }>;
  try {
    r = encodeData(def, value, ctx);
  } catch (e) {
    // The codecs return errors rather than throw; this only guards the server against a bug.
    r = { error: `cannot encode: ${e instanceof Error ? e.message : String(e)}` };
  }
  if ("error" in r) return { ok: false, error: r.error };
  if (r.data.length > MAX_OPTION_DATA) {
    return {
      ok: false,
      error: `too long to fit in a DHCP message: ${r.data.length} octets of option data, at most ${MAX_OPTION_DATA}`,
    };
  }
  if (r.display !== undefined) return { ok: true, data: r.data, display: r.display };
  // Shown as decoded from the bytes themselves, so `check` prints what a client will read.
  const back = decodeOptionValue(def, r.data);
  return { ok: true, data: r.data, display: back.ok ? back.display : toColonHex(r.data) };
}

function encodeData(
  def: Def,
  value: unknown,
  ctx: EncodeContext,
): Checked<{ data: Uint8Array; display?: string }> {
  if (isFixedSizeType(def.type)) {
    const codec = FIXED_SIZE_CODECS[def.type];
    const list = asList(def, value);
    if ("error" in list) return list;
    const data = new Uint8Array(codec.size * list.length);
    for (let i = 0; i < list.length; i++) {
      const bytes = codec.write(list[i], ctx);
      if ("error" in bytes) return { error: itemError(def, list, i, bytes.error) };
      data.set(bytes, codec.size * i);
    }
    return { data };
  }
  switch (def.type) {
    case "string":
      if (typeof value !== "string") {
        const hint = typeof value === "number" || typeof value === "boolean" ? " (quote it in YAML)" : "";
        return { error: `expected text, got ${describeValue(value)}${hint}` };
      }
      if (value === "") return { error: 'expected non-empty text, got ""' };
      return { data: utf8.encode(value) };
    case "hex": {
      const data = typeof value === "string" ? parseHexBytes(value) : undefined;
      if (data === undefined) {
        const hint = typeof value === "number" ? " (quote it: YAML reads unquoted digits as a number)" : "";
        return {
          error: `expected hex bytes such as "0a:0b", "0a0b" or "0x0a0b", got ${describeValue(value)}${hint}`,
        };
      }
      return { data };
    }
    case "domain": {
      const list = asList(def, value);
      if ("error" in list) return list;
      const names: (readonly string[])[] = [];
      for (let i = 0; i < list.length; i++) {
        const labels = parseDomainName(list[i]);
        if ("error" in labels) return { error: itemError(def, list, i, labels.error) };
        names.push(labels);
      }
      // RFC 3397: a list is compressed, pointers relative to the start of the option data.
      return { data: encodeNames(names, def.array) };
    }
    case "sip-servers": {
      const data = encodeSipServers(value, ctx);
      return "error" in data ? data : { data };
    }
    case "vendor-options":
      return encodeVendorOptions(value, ctx);
  }
  return { error: `unknown option type ${describeValue(def.type)}` };
}

/** Array types take a YAML list (a lone scalar is a one-element list); others exactly one value. */
function asList(def: Def, value: unknown): Checked<readonly unknown[]> {
  if (!def.array) {
    if (Array.isArray(value)) return { error: `expected a single ${def.type} value, got a list` };
    return [value];
  }
  if (!Array.isArray(value)) return [value];
  if (value.length === 0)
    return { error: `expected a list of at least one ${def.type} value, got an empty list` };
  return value;
}

function itemError(def: Def, list: readonly unknown[], index: number, error: string): string {
  return def.array && list.length > 1 ? `item ${index + 1}: ${error}` : error;
}

export function decodeOptionValue(def: Def, data: Uint8Array): Decoded {
  try {
    const r = decodeData(def, data);
    return "error" in r ? { ok: false, error: r.error } : { ok: true, value: r.value, display: r.display };
  } catch (e) {
    // Decoders are bounds-checked and return errors; this keeps "never throws" true even for a bug.
    return { ok: false, error: `cannot decode: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function decodeData(def: Def, data: Uint8Array): Checked<{ value: unknown; display: string }> {
  if (isFixedSizeType(def.type)) {
    const codec = FIXED_SIZE_CODECS[def.type];
    if (!def.array) {
      if (data.length !== codec.size) return { error: `expected ${codec.size} octets, got ${data.length}` };
      return codec.read(data, 0);
    }
    if (data.length === 0 || data.length % codec.size !== 0) {
      return { error: `expected a non-zero multiple of ${codec.size} octets, got ${data.length}` };
    }
    const items = [];
    for (let at = 0; at < data.length; at += codec.size) items.push(codec.read(data, at));
    return { value: items.map((i) => i.value), display: `[${items.map((i) => i.display).join(", ")}]` };
  }
  switch (def.type) {
    case "string": {
      // RFC 2132 strings carry no NUL, but some servers and clients add one: tolerate and strip.
      let end = data.length;
      while (end > 0 && data[end - 1] === 0) end--;
      let text: string;
      try {
        text = utf8Strict.decode(data.subarray(0, end));
      } catch {
        return { error: "not UTF-8 text" };
      }
      return { value: text, display: quoteText(text) };
    }
    case "hex": {
      const text = toColonHex(data);
      return { value: text, display: text === "" ? "(empty)" : text };
    }
    case "domain": {
      const names = decodeNames(data);
      if ("error" in names) return names;
      if (!def.array) {
        if (names.length !== 1) return { error: `expected one domain name, got ${names.length}` };
        return { value: names[0], display: names[0]! };
      }
      return { value: names, display: showNames(names) };
    }
    case "sip-servers":
      return decodeSipServers(data);
    case "vendor-options":
      return decodeVendorOptions(data);
  }
  return { error: `unknown option type ${describeValue(def.type)}` };
}

import { formatIpv4, parseIpv4 } from "../../config/ipv4.js";
import { describeValue } from "./describe.js";
import { formatDuration, parseDuration } from "./duration.js";
import type { Checked, EncodeContext } from "./results.js";

/**
 * Element codecs for the fixed-size types (ip, u8, u16, u32, s32, bool). An option of such a type
 * is one element, or — as an array — elements laid end to end with no separator.
 */
export interface FixedSizeCodec {
  readonly size: number;
  /** The wire bytes of one element given as a YAML value. */
  write(value: unknown, ctx: EncodeContext): Checked<Uint8Array>;
  /** Reads one element at `offset` (the caller guarantees `size` bytes are there). */
  read(data: Uint8Array, offset: number): { readonly value: unknown; readonly display: string };
}

/** An IPv4 address written as "a.b.c.d" (strictly), or the word "self" when the context defines it. */
export function parseIpValue(value: unknown, ctx: EncodeContext): Checked<number> {
  if (typeof value === "string") {
    if (value === "self" && ctx.self !== undefined) return ctx.self >>> 0;
    const ip = parseIpv4(value);
    if (ip !== undefined) return ip;
  }
  const expected = ctx.self !== undefined ? 'an IPv4 address a.b.c.d or "self"' : "an IPv4 address a.b.c.d";
  return { error: `expected ${expected}, got ${describeValue(value)}` };
}

function uintBytes(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

function readUint(data: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + data[offset + i]!;
  return v;
}

/** Whole numbers from YAML numbers or decimal strings; durations ("8h") where `durations` is set. */
function parseInteger(value: unknown, signed: boolean, durations: boolean): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const negative = signed && value.startsWith("-");
  const body = negative ? value.slice(1) : value;
  const n = durations ? parseDuration(body) : /^\d+$/.test(body) ? Number(body) : undefined;
  if (n === undefined || !Number.isSafeInteger(n)) return undefined;
  return negative ? -n : n;
}

/** Times get their compact duration beside the seconds: "28800 (8h)". */
function showSeconds(n: number): string {
  return Math.abs(n) >= 60 ? `${n} (${formatDuration(n)})` : String(n);
}

function unsigned(size: 1 | 2 | 4, durations: boolean): FixedSizeCodec {
  const max = 2 ** (8 * size) - 1;
  const expected = durations
    ? `a whole number from 0 to ${max} or a duration such as "8h", "30m", "1h30m"`
    : `a whole number from 0 to ${max}`;
  return {
    size,
    write(value) {
      const n = parseInteger(value, false, durations);
      if (n === undefined || n < 0 || n > max)
        return { error: `expected ${expected}, got ${describeValue(value)}` };
      return uintBytes(n, size);
    },
    read(data, offset) {
      const n = readUint(data, offset, size);
      return { value: n, display: durations ? showSeconds(n) : String(n) };
    },
  };
}

const s32: FixedSizeCodec = {
  size: 4,
  write(value) {
    const n = parseInteger(value, true, true);
    if (n === undefined || n < -(2 ** 31) || n > 2 ** 31 - 1) {
      return {
        error: `expected a whole number from -2147483648 to 2147483647 or a duration such as "-5h", got ${describeValue(value)}`,
      };
    }
    return uintBytes(n < 0 ? n + 2 ** 32 : n, 4);
  },
  read(data, offset) {
    const u = readUint(data, offset, 4);
    const n = u >= 2 ** 31 ? u - 2 ** 32 : u;
    return { value: n, display: showSeconds(n) };
  },
};

const bool: FixedSizeCodec = {
  size: 1,
  write(value) {
    if (value === true || value === "true") return Uint8Array.of(1);
    if (value === false || value === "false") return Uint8Array.of(0);
    return { error: `expected true or false, got ${describeValue(value)}` };
  },
  read(data, offset) {
    // RFC 2132 allows only 0 and 1; any other octet is read as true, as clients do.
    const value = data[offset] !== 0;
    return { value, display: String(value) };
  },
};

const ip: FixedSizeCodec = {
  size: 4,
  write(value, ctx) {
    const n = parseIpValue(value, ctx);
    return typeof n === "number" ? uintBytes(n, 4) : n;
  },
  read(data, offset) {
    const text = formatIpv4(readUint(data, offset, 4));
    return { value: text, display: text };
  },
};

export const FIXED_SIZE_CODECS = {
  ip,
  u8: unsigned(1, false),
  u16: unsigned(2, false),
  // Every u32 option in RFC 2132 is a time in seconds (51, 58, 59, 35, 38), hence durations.
  u32: unsigned(4, true),
  s32,
  bool,
} as const satisfies Record<string, FixedSizeCodec>;

export type FixedSizeType = keyof typeof FIXED_SIZE_CODECS;

export function isFixedSizeType(type: string): type is FixedSizeType {
  return Object.hasOwn(FIXED_SIZE_CODECS, type);
}

/** Hex forms: `0a:0b` (values and display), `0a 0b` (wire dumps), and parsing of what users type. */

const HEX_DIGITS = "0123456789abcdef";

function byteHex(b: number): string {
  return HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
}

/** Hex dump for `siteboot check`: "0a 0b 0c" (empty data → ""). */
export function toHex(data: Uint8Array): string {
  return Array.from(data, byteHex).join(" ");
}

/** The canonical hex value form: "0a:0b:0c" (empty data → ""). */
export function toColonHex(data: Uint8Array): string {
  return Array.from(data, byteHex).join(":");
}

/**
 * Accepts "0a:0b", "0a0b", "0x0a0b" (case-insensitive), and "" for zero bytes. With colons every
 * byte has one or two digits ("a:b" is 0a 0b); without, the digit count must be even.
 */
export function parseHexBytes(text: string): Uint8Array | undefined {
  if (text === "") return new Uint8Array(0);
  if (text.includes(":")) {
    const parts = text.split(":");
    if (!parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
    return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
  }
  const digits = /^0[xX]/.test(text) ? text.slice(2) : text;
  if (digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

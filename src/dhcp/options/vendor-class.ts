import type { VendorClassMatch } from "../../config/site.js";

/**
 * Option 60 (vendor class identifier) as received. Most clients send text ("MS-UC-Client",
 * "udhcp 1.36.1"). Polycom phones send binary instead, following RFC 3925's vendor-class layout:
 * a 4-octet enterprise number (Polycom: 13885 = 00 00 36 3d), one octet of data length, then
 * the data. Inside the data two layouts exist:
 *  - "items": RFC 3925 (option 124) vendor-class-data, each item one length octet + bytes;
 *  - "sub-options": what Polycom documents and sends, code + length + bytes per field
 *    (1 company, 2 part, 3 part number, 4 application version, 5 BootROM version), with an
 *    End-of-Suboptions octet 0xff after the data (outside the data length).
 */

export interface VendorClassBlock {
  readonly enterprise: number;
  /** The data items (or sub-option values) as text. */
  readonly items: readonly string[];
  readonly layout: "items" | "sub-options";
  /** Sub-option codes, parallel to `items`, for the "sub-options" layout. */
  readonly codes?: readonly number[];
}

export interface VendorClassInfo {
  /** The option as text; trailing NULs dropped, control and undecodable bytes as \xNN. */
  readonly text: string;
  /** Present when the bytes parse exactly as one or more enterprise blocks. */
  readonly binary?: readonly VendorClassBlock[];
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true });
const END = 0xff;

function escapeByte(b: number): string {
  return `\\x${b.toString(16).padStart(2, "0")}`;
}

/** Bytes as text: UTF-8 when valid (control characters escaped), else byte by byte. */
export function bytesToText(data: Uint8Array): string {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  const bytes = data.subarray(0, end);
  let decoded: string | undefined;
  try {
    decoded = utf8Strict.decode(bytes);
  } catch {
    decoded = undefined;
  }
  if (decoded !== undefined) {
    return decoded.replace(/[\x00-\x1f\x7f]/g, (c) => escapeByte(c.charCodeAt(0)));
  }
  return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : escapeByte(b))).join("");
}

type Fields = { items: string[]; codes: number[] };

function parseItems(body: Uint8Array): Fields | undefined {
  const items: string[] = [];
  let pos = 0;
  while (pos < body.length) {
    const len = body[pos]!;
    if (pos + 1 + len > body.length) return undefined;
    items.push(bytesToText(body.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return { items, codes: [] };
}

function parseSubOptions(body: Uint8Array): Fields | undefined {
  const items: string[] = [];
  const codes: number[] = [];
  let pos = 0;
  while (pos < body.length) {
    const code = body[pos]!;
    if (code === END && pos === body.length - 1) break;
    if (code === 0 || code === END || pos + 1 >= body.length) return undefined;
    const len = body[pos + 1]!;
    if (pos + 2 + len > body.length) return undefined;
    codes.push(code);
    items.push(bytesToText(body.subarray(pos + 2, pos + 2 + len)));
    pos += 2 + len;
  }
  return codes.length > 0 ? { items, codes } : undefined;
}

function allPrintable(fields: Fields): boolean {
  return fields.items.every((item) => item !== "" && !item.includes("\\x"));
}

function parseBlocks(data: Uint8Array): VendorClassBlock[] | undefined {
  const blocks: VendorClassBlock[] = [];
  let pos = 0;
  while (pos < data.length) {
    const last = blocks.at(-1);
    if (data[pos] === END && pos === data.length - 1 && last?.layout === "sub-options") break;
    if (pos + 5 > data.length) return undefined;
    const enterprise =
      ((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>> 0;
    const len = data[pos + 4]!;
    const end = pos + 5 + len;
    if (len === 0 || end > data.length) return undefined;
    const body = data.subarray(pos + 5, end);
    // The End octet marks Polycom's sub-option layout; otherwise RFC 3925 items come first, unless
    // only the sub-option reading yields plain text.
    const endMarked = body[body.length - 1] === END || (end === data.length - 1 && data[end] === END);
    const subs = parseSubOptions(body);
    const items = parseItems(body);
    if (
      subs !== undefined &&
      (items === undefined || endMarked || (allPrintable(subs) && !allPrintable(items)))
    ) {
      blocks.push({ enterprise, items: subs.items, codes: subs.codes, layout: "sub-options" });
    } else if (items !== undefined) {
      blocks.push({ enterprise, items: items.items, layout: "items" });
    } else {
      return undefined;
    }
    pos = end;
  }
  return blocks.length > 0 ? blocks : undefined;
}

export function parseVendorClass(data: Uint8Array): VendorClassInfo {
  const text = bytesToText(data);
  const binary = parseBlocks(data);
  return binary === undefined ? { text } : { text, binary };
}

export function matchVendorClass(match: VendorClassMatch, data: Uint8Array): boolean {
  const info = parseVendorClass(data);
  if (match.kind === "glob") return match.regex.test(info.text);
  const data_ = match.data;
  return (info.binary ?? []).some(
    (block) =>
      block.enterprise === match.enterprise &&
      (data_ === undefined || block.items.some((item) => data_.regex.test(item))),
  );
}

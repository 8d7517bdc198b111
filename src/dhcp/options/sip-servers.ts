import { formatIpv4 } from "../../config/ipv4.js";
import { describeValue } from "./describe.js";
import { decodeNames, encodeNames, parseDomainName, showNames } from "./domain-names.js";
import { parseIpValue } from "./fixed-size.js";
import type { Checked, EncodeContext } from "./results.js";

/**
 * Option 120, SIP servers (RFC 3361): an encoding byte, then either RFC 1035 names (enc 0) or IPv4
 * addresses (enc 1). One form per option: RFC 3361 forbids mixing them, even across instances.
 *
 * Names are written uncompressed: RFC 3361 requires clients to accept compression but leaves room
 * to read pointer offsets from the encoding byte or from the first name, and short server lists
 * gain nothing. Received names may be compressed; pointers count from the encoding byte (the start
 * of the option data), as in RFC 3396/3397.
 */
const ENC_NAMES = 0;
const ENC_ADDRESSES = 1;

function looksLikeAddress(value: unknown, ctx: EncodeContext): boolean {
  return (
    typeof value === "string" && ((value === "self" && ctx.self !== undefined) || /^[0-9.]+$/.test(value))
  );
}

export function encodeSipServers(value: unknown, ctx: EncodeContext): Checked<Uint8Array> {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) return { error: "expected at least one SIP server (a name or an IPv4 address)" };
  const addressCount = list.filter((v) => looksLikeAddress(v, ctx)).length;
  if (addressCount === list.length) {
    const out = new Uint8Array(1 + 4 * list.length);
    out[0] = ENC_ADDRESSES;
    for (let i = 0; i < list.length; i++) {
      const ip = parseIpValue(list[i], ctx);
      if (typeof ip !== "number") return { error: itemError(list, i, ip.error) };
      out.set([ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255], 1 + 4 * i);
    }
    return out;
  }
  if (addressCount > 0) {
    return {
      error:
        "expected either names or IPv4 addresses, not both: RFC 3361 carries one form per option " +
        `(got ${list.map(describeValue).join(", ")})`,
    };
  }
  const names: (readonly string[])[] = [];
  for (let i = 0; i < list.length; i++) {
    const labels = parseDomainName(list[i]);
    if ("error" in labels) return { error: itemError(list, i, labels.error) };
    names.push(labels);
  }
  const body = encodeNames(names, false);
  const out = new Uint8Array(1 + body.length);
  out[0] = ENC_NAMES;
  out.set(body, 1);
  return out;
}

function itemError(list: readonly unknown[], index: number, error: string): string {
  return list.length > 1 ? `item ${index + 1}: ${error}` : error;
}

export function decodeSipServers(data: Uint8Array): Checked<{ value: readonly string[]; display: string }> {
  if (data.length === 0) return { error: "empty: expected an encoding byte (0 names, 1 addresses)" };
  if (data[0] === ENC_NAMES) {
    const names = decodeNames(data, 1);
    if ("error" in names) return names;
    return { value: names, display: showNames(names) };
  }
  if (data[0] === ENC_ADDRESSES) {
    const count = (data.length - 1) / 4;
    if (count === 0 || !Number.isInteger(count)) {
      return {
        error: `address form needs a multiple of 4 octets after the encoding byte, got ${data.length - 1}`,
      };
    }
    const value: string[] = [];
    for (let i = 0; i < count; i++) {
      const o = 1 + 4 * i;
      value.push(
        formatIpv4(((data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!) >>> 0),
      );
    }
    return { value, display: `[${value.join(", ")}]` };
  }
  return { error: `unknown encoding byte ${data[0]} (0 names, 1 addresses)` };
}

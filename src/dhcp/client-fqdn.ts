/**
 * The Client FQDN option (81, RFC 4702): flags, two RCODE octets, then the client's name in DNS
 * wire form (E=1) or deprecated ASCII (E=0). This box serves the zone itself and a client has no
 * way to update it, so the server always does the A update when it serves the name (S=1, with O=1
 * when that overrides the client's S=0 — dnsmasq's rule) and says N=1 when it serves none.
 */

import { wireString } from "../dns/wire.js";

export const FQDN_S = 0x01;
export const FQDN_O = 0x02;
export const FQDN_E = 0x04;
export const FQDN_N = 0x08;

export interface ClientFqdn {
  /** The four defined flag bits (MBZ bits dropped). */
  readonly flags: number;
  /** The name as text (labels joined by dots, no trailing dot); "" when none or unreadable. */
  readonly name: string;
  /** The name octets as sent, echoed when the server serves no name. */
  readonly nameBytes: Uint8Array;
}

/** Reads option 81; undefined when absent or shorter than its three fixed octets. Never throws. */
export function parseClientFqdn(data: Uint8Array | undefined): ClientFqdn | undefined {
  if (data === undefined || data.length < 3) return undefined;
  const flags = data[0]! & 0x0f;
  const nameBytes = data.subarray(3);
  const name = flags & FQDN_E ? wireName(nameBytes) : asciiName(nameBytes);
  return { flags, name: name ?? "", nameBytes };
}

/** RFC 1035 labels without compression; a name without the root label is a partial name. */
function wireName(bytes: Uint8Array): string | undefined {
  const labels: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = bytes[at]!;
    if (length === 0) break;
    if (length > 63 || at + 1 + length > bytes.length) return undefined;
    const label = printableText(bytes.subarray(at + 1, at + 1 + length));
    if (label === undefined || label.includes(".")) return undefined;
    labels.push(label);
    at += 1 + length;
  }
  return labels.join(".");
}

function asciiName(bytes: Uint8Array): string | undefined {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const text = printableText(bytes.subarray(0, end));
  return text?.replace(/\.$/, "");
}

function printableText(bytes: Uint8Array): string | undefined {
  for (const b of bytes) if (b < 0x21 || b > 0x7e) return undefined;
  return Buffer.from(bytes).toString("latin1");
}

/**
 * The option 81 of an OFFER or ACK: `served` is the FQDN this server serves for the client, or
 * undefined when it serves none. RCODE1 and RCODE2 are 255 (RFC 4702 §4); the name goes back in
 * the client's encoding.
 */
export function clientFqdnReply(client: ClientFqdn, served: string | undefined): Uint8Array {
  const s = served === undefined ? 0 : FQDN_S;
  const o = s !== (client.flags & FQDN_S) ? FQDN_O : 0;
  const n = served === undefined ? FQDN_N : 0;
  const e = client.flags & FQDN_E;
  // A served name has been through normalizeName, so wireString accepts it (and has it memoised
  // from the zone's records).
  const name =
    served === undefined ? client.nameBytes : Buffer.from(e ? wireString(served) : served, "latin1");
  const out = new Uint8Array(3 + name.length);
  out[0] = s | o | e | n;
  out[1] = 255;
  out[2] = 255;
  out.set(name, 3);
  return out;
}

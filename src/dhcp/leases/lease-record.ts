import { BoundedMemo } from "../../bounded-memo.js";
import { formatIpv4, parseIpv4 } from "../../config/ipv4.js";
import { isLeaseState, type Lease, type LeaseFields, leaseProblem } from "./lease.js";

/**
 * One journal line ⇄ one change. A line is a JSON object with a format version `v`:
 *   {"v":1,"op":"put","address":"192.168.7.100","clientKey":"hw:1:0004f2000001",...}
 *   {"v":1,"op":"delete","address":"192.168.7.100"}
 * Addresses are dotted text so an operator can grep the file. Decoding never throws.
 */

export const JOURNAL_FORMAT_VERSION = 1;

export type JournalRecord =
  | { readonly op: "put"; readonly lease: Lease }
  | { readonly op: "delete"; readonly address: number };

export type DecodedLine =
  | { readonly kind: "record"; readonly record: JournalRecord }
  /** Written by a newer siteboot: the caller must refuse to rewrite the file. */
  | { readonly kind: "newer-version"; readonly version: number }
  | { readonly kind: "corrupt"; readonly reason: string };

/** The line for a put, without the newline. */
export function encodePut(lease: Lease): string {
  return JSON.stringify({
    v: JOURNAL_FORMAT_VERSION,
    op: "put",
    address: formatIpv4(lease.address),
    clientKey: lease.clientKey,
    mac: lease.mac,
    hostname: lease.hostname,
    vendorClass: lease.vendorClass,
    subnet: lease.subnet,
    state: lease.state,
    start: lease.start,
    expiresAt: lease.expiresAt,
  });
}

/** The line for a delete, without the newline. */
export function encodeDelete(address: number): string {
  return JSON.stringify({ v: JOURNAL_FORMAT_VERSION, op: "delete", address: formatIpv4(address) });
}

export function encodeRecord(record: JournalRecord): string {
  return record.op === "put" ? encodePut(record.lease) : encodeDelete(record.address);
}

/**
 * One copy of each subnet and vendor-class text: thousands of leases share a handful of values, and
 * JSON.parse would otherwise give every line its own copy (~1 MB per 10,000 leases).
 */
const sharedTexts = new BoundedMemo(1024, (text: string) => text);

function shared(text: string): string {
  return sharedTexts.get(text);
}

function corrupt(reason: string): DecodedLine {
  return { kind: "corrupt", reason };
}

export function decodeLine(line: string): DecodedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return corrupt("not valid JSON (truncated or damaged line)");
  }
  return decodeRow(value);
}

/** One parsed journal line → the change it records. Built field by field: replay runs it per line. */
function decodeRow(value: unknown): DecodedLine {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return corrupt("not a JSON object");
  }
  const row = value as Record<string, unknown>;
  const version = row.v;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    return corrupt("missing or invalid format version field v");
  }
  if (version > JOURNAL_FORMAT_VERSION) return { kind: "newer-version", version };
  if (typeof row.address !== "string") return corrupt("missing address");
  const address = parseIpv4(row.address);
  if (address === undefined) return corrupt(`invalid address ${JSON.stringify(row.address)}`);
  if (row.op === "delete") return { kind: "record", record: { op: "delete", address } };
  if (row.op !== "put") return corrupt(`unknown op ${JSON.stringify(row.op)}`);

  const { clientKey, mac, hostname, vendorClass, subnet, state, start, expiresAt } = row;
  if (typeof clientKey !== "string") return corrupt("clientKey must be a string");
  if (typeof mac !== "string") return corrupt("mac must be a string");
  if (hostname !== undefined && typeof hostname !== "string") return corrupt("hostname must be a string");
  if (vendorClass !== undefined && typeof vendorClass !== "string") {
    return corrupt("vendorClass must be a string");
  }
  if (typeof subnet !== "string") return corrupt("subnet must be a string");
  if (!isLeaseState(state)) return corrupt(`unknown state ${JSON.stringify(state)}`);
  if (typeof start !== "number" || typeof expiresAt !== "number") {
    return corrupt("start and expiresAt must be numbers");
  }
  const lease: LeaseFields = {
    address,
    clientKey,
    mac,
    subnet: shared(subnet),
    state,
    start,
    expiresAt,
  };
  if (hostname !== undefined) lease.hostname = hostname;
  if (vendorClass !== undefined) lease.vendorClass = shared(vendorClass);
  const problem = leaseProblem(lease);
  if (problem !== undefined) return corrupt(problem);
  return { kind: "record", record: { op: "put", lease: Object.freeze(lease) } };
}

/**
 * Leases to and from PostgreSQL rows: the columns, the conditional upsert a batch of puts becomes,
 * and the change notifications other instances send.
 */
import { isLeaseState, type Lease, type LeaseFields } from "./lease.js";

/** A lease row as PostgreSQL returns it (bigint columns arrive as text). */
export interface LeaseRow {
  readonly address: string;
  readonly client_key: string;
  readonly mac: string;
  readonly hostname: string | null;
  readonly vendor_class: string | null;
  readonly subnet: string;
  readonly state: string;
  readonly start_ms: string;
  readonly expires_ms: string;
  readonly version: string;
}

export const LEASE_COLUMNS =
  "address, client_key, mac, hostname, vendor_class, subnet, state, start_ms, expires_ms, version";

/** A lease with the row version it was read at. */
export interface VersionedLease {
  readonly lease: Lease;
  readonly version: number;
}

export function leaseFromRow(row: LeaseRow): VersionedLease | undefined {
  if (!isLeaseState(row.state)) return undefined;
  const lease: LeaseFields = {
    address: Number(row.address),
    clientKey: row.client_key,
    mac: row.mac,
    subnet: row.subnet,
    state: row.state,
    start: Number(row.start_ms),
    expiresAt: Number(row.expires_ms),
  };
  if (row.hostname !== null) lease.hostname = row.hostname;
  if (row.vendor_class !== null) lease.vendorClass = row.vendor_class;
  return { lease: Object.freeze(lease), version: Number(row.version) };
}

/** The rows that hold a lease, as leases with their versions. */
export function* versionedRows(rows: Iterable<LeaseRow>): Generator<VersionedLease> {
  for (const row of rows) {
    const versioned = leaseFromRow(row);
    if (versioned !== undefined) yield versioned;
  }
}

/**
 * One statement for a batch of puts (distinct addresses): each row is inserted, or it replaces the
 * stored row only when that row may go to this client. The row is taken when the writer saw the
 * stored version (its decision was made on current data), or the stored row is the same client's
 * and not newer, or nobody holds it (released, expired, or its end has passed by the time of this
 * write). Otherwise the row is left alone and missing from RETURNING: a conflict. The primary key
 * makes two instances' inserts of one address serialise: the second one sees the first's row.
 */
export const UPSERT_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $8::bigint[], $9::bigint[], $10::bigint[])
    AS t(address, client_key, mac, hostname, vendor_class, subnet, state, start_ms, expires_ms, seen)
)
INSERT INTO siteboot_lease4 AS l
  (address, client_key, mac, hostname, vendor_class, subnet, state, start_ms, expires_ms)
SELECT address, client_key, mac, hostname, vendor_class, subnet, state, start_ms, expires_ms FROM input
ON CONFLICT (address) DO UPDATE SET
  client_key = EXCLUDED.client_key, mac = EXCLUDED.mac, hostname = EXCLUDED.hostname,
  vendor_class = EXCLUDED.vendor_class, subnet = EXCLUDED.subnet, state = EXCLUDED.state,
  start_ms = EXCLUDED.start_ms, expires_ms = EXCLUDED.expires_ms,
  version = nextval('siteboot_lease4_version')
WHERE l.version = (SELECT seen FROM input WHERE input.address = l.address)
   OR (l.client_key = EXCLUDED.client_key AND EXCLUDED.start_ms >= l.start_ms)
   OR l.state IN ('released', 'expired')
   OR l.expires_ms <= EXCLUDED.start_ms
RETURNING address, version`;

/**
 * A put waiting for its batch, and the row version the writer's decision was made on: `seen`, or,
 * when the writer's own earlier put of the address was still pending (its cache showed that one),
 * the version that earlier put (`after`) committed as.
 */
export interface PendingPut {
  readonly lease: Lease;
  readonly seen: number | null;
  readonly after: PendingPut | undefined;
  /** Set once the put is committed. */
  committedVersion?: number;
}

/** The ten column arrays UPSERT_SQL takes. */
export function upsertParameters(puts: readonly PendingPut[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 10 }, () => new Array<unknown>(puts.length));
  puts.forEach(({ lease, seen, after }, i) => {
    columns[0]![i] = lease.address;
    columns[1]![i] = lease.clientKey;
    columns[2]![i] = lease.mac;
    columns[3]![i] = lease.hostname ?? null;
    columns[4]![i] = lease.vendorClass ?? null;
    columns[5]![i] = lease.subnet;
    columns[6]![i] = lease.state;
    columns[7]![i] = Math.trunc(lease.start);
    columns[8]![i] = Math.trunc(lease.expiresAt);
    columns[9]![i] = after === undefined ? seen : (after.committedVersion ?? seen);
  });
  return columns;
}

/** A committed change announced by an instance (see the trigger in pg-schema.ts). */
export type LeaseChange =
  | { readonly origin: string; readonly address: number; readonly version: number; readonly deleted: true }
  | {
      readonly origin: string;
      readonly address: number;
      readonly version: number;
      readonly deleted: false;
      readonly lease: Lease;
    };

/** Parses a notification payload; undefined for anything that is not one of ours. */
export function parseLeaseChange(payload: string | undefined): LeaseChange | undefined {
  if (payload === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const value = parsed as Record<string, unknown>;
  const { o: origin, a: address, v: version } = value;
  if (typeof origin !== "string" || typeof address !== "number" || typeof version !== "number") {
    return undefined;
  }
  if (value.d === true) return { origin, address, version, deleted: true };
  const versioned = leaseFromRow({
    address: String(address),
    client_key: String(value.k),
    mac: String(value.m),
    hostname: typeof value.h === "string" ? value.h : null,
    vendor_class: typeof value.c === "string" ? value.c : null,
    subnet: String(value.n),
    state: String(value.s),
    start_ms: String(value.t),
    expires_ms: String(value.e),
    version: String(version),
  });
  return versioned === undefined
    ? undefined
    : { origin, address, version, deleted: false, lease: versioned.lease };
}

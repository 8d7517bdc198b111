import type { Lease } from "./lease.js";
import { LeaseIndex } from "./lease-index.js";
import type { LeaseChange, VersionedLease } from "./pg-rows.js";

/**
 * The PostgreSQL store's cache: the leases (served to synchronous reads) and, per address, the row
 * version they were read at, so that changes arriving out of order (a notification overtaken by a
 * newer commit of our own) never replace a newer row with an older one.
 */
export class PgLeaseCache {
  readonly index = new LeaseIndex();
  /**
   * The row version the cache holds per address; for a deleted address, the version of the delete
   * (a tombstone). Absent: never seen.
   */
  readonly #versions = new Map<number, number>();

  /** The version of the row the cache holds for `address`, or null when it holds none. */
  seen(address: number): number | null {
    return this.#versions.get(address) ?? null;
  }

  /** Replaces everything with the database's rows (at open and after a reconnect). */
  load(rows: Iterable<VersionedLease>): void {
    this.index.clear();
    this.#versions.clear();
    for (const row of rows) this.#set(row.lease, row.version);
  }

  /** Takes the database's rows for `addresses`; an address without a row is forgotten. */
  refresh(addresses: readonly number[], rows: Iterable<VersionedLease>): void {
    const found = new Set<number>();
    for (const row of rows) {
      found.add(row.lease.address);
      this.#set(row.lease, row.version);
    }
    for (const address of addresses) {
      if (found.has(address)) continue;
      this.index.delete(address);
      this.#versions.delete(address);
    }
  }

  /** A change another server committed; returns false when the cache already holds a later one. */
  apply(change: LeaseChange): boolean {
    const known = this.#versions.get(change.address);
    if (known !== undefined && known >= change.version) return false;
    if (change.deleted) {
      this.index.delete(change.address);
      this.#versions.set(change.address, change.version);
    } else {
      this.#set(change.lease, change.version);
    }
    return true;
  }

  /**
   * Our own put committed at `version`: it stays (or becomes again) the cached row, unless newer is
   * known. `keepCached` when a later put of ours to the address is pending: the cache already shows
   * that one, and putting this older lease back would undo it (and its place in write order).
   */
  committed(lease: Lease, version: number, keepCached = false): void {
    if ((this.#versions.get(lease.address) ?? -1) >= version) return;
    this.#versions.set(lease.address, version);
    if (!keepCached && this.index.get(lease.address) !== lease) this.index.set(lease);
  }

  /** Our own delete of a row at `version` committed; `keepCached` when a later put of ours is pending. */
  deleted(address: number, version: number | undefined, keepCached: boolean): void {
    // Kept as a tombstone: a notification of the deleted row arriving late must not revive it.
    if (version !== undefined) this.#versions.set(address, version);
    if (!keepCached) this.index.delete(address);
  }

  #set(lease: Lease, version: number): void {
    this.index.set(lease);
    this.#versions.set(lease.address, version);
  }
}

import type pg from "pg";
import { formatIpv4 } from "../../config/ipv4.js";
import type { Lease } from "./lease.js";
import { LeaseStoreError } from "./lease-store-error.js";
import { isConnectionError, segments, unavailableError, type Waiting } from "./pg-batch.js";
import type { PgLeaseCache } from "./pg-cache.js";
import {
  LEASE_COLUMNS,
  type LeaseRow,
  type PendingPut,
  UPSERT_SQL,
  upsertParameters,
  versionedRows,
} from "./pg-rows.js";

/** What the commit path needs from the store around it. */
export interface PgCommitHost {
  /** Names the database in messages, without the password. */
  readonly where: string;
  readonly cache: PgLeaseCache;
  /** The store's pool, asked for at each statement. */
  pool(): pg.Pool;
  /** The error a batch fails with while the connection is lost; undefined while connected. */
  lostError(): LeaseStoreError | undefined;
  /** A statement failed because the connection (or the server) is gone. */
  connectionLost(error: unknown): void;
  /** A put was refused because another server holds the address. */
  conflict(message: string): void;
}

export interface PgCommitCounts {
  /** Statements that committed puts (group commit makes this smaller than `puts`). */
  readonly commits: number;
  readonly puts: number;
  /** Puts refused because another server held the address (lost races decided by the database). */
  readonly conflicts: number;
}

/**
 * The PostgreSQL store's writes: changes are cached at once and queued; the changes queued
 * together are committed by one statement (group commit), in the order they were made, and each
 * caller's promise settles once its change is decided by the database. A put for an address
 * another server holds is refused there (a conflict) and the cache takes that server's row.
 */
export class PgGroupCommit {
  readonly #host: PgCommitHost;
  #queue: Waiting[] = [];
  /** The latest put of each address not settled yet: a later put of the address was decided on it. */
  readonly #pendingPuts = new Map<number, PendingPut>();
  #flushing: Promise<void> | undefined;
  #counts = { commits: 0, puts: 0, conflicts: 0 };

  constructor(host: PgCommitHost) {
    this.#host = host;
  }

  get counts(): PgCommitCounts {
    return { ...this.#counts };
  }

  /** Settles once every queued change is committed or failed; undefined while nothing is queued. */
  get flushing(): Promise<void> | undefined {
    return this.#flushing;
  }

  /** Caches `lease` (a valid copy the caller no longer changes) and commits it. */
  put(lease: Lease): Promise<void> {
    const cache = this.#host.cache;
    const address = lease.address;
    const put: PendingPut = {
      lease,
      seen: cache.seen(address),
      after: this.#pendingPuts.get(address),
    };
    this.#pendingPuts.set(address, put);
    cache.index.set(lease);
    const committed = this.#enqueue(put);
    const settled = () => {
      if (this.#pendingPuts.get(address) === put) this.#pendingPuts.delete(address);
    };
    committed.then(settled, settled);
    return committed;
  }

  delete(address: number): Promise<void> {
    this.#host.cache.index.delete(address);
    return this.#enqueue({ deleteAddress: address });
  }

  #enqueue(op: Waiting["op"]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#drain();
    });
  }

  /** Commits queued changes, one batch at a time, until the queue is empty. */
  async #drain(): Promise<void> {
    // Let the puts of this turn of the event loop (one receive batch) join the first commit.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      await this.#commit(batch);
    }
    this.#flushing = undefined;
  }

  async #commit(batch: Waiting[]): Promise<void> {
    const lost = this.#host.lostError();
    if (lost !== undefined) {
      for (const waiting of batch) waiting.reject(lost);
      return;
    }
    try {
      const runs = segments(batch);
      for (const run of runs) await this.#commitSegment(run);
    } catch (error) {
      // Puts not yet settled fail. Their cached rows are replaced: by the reload after a
      // reconnect, or (a refused statement, a timeout) by reading those rows back now.
      if (isConnectionError(error)) this.#host.connectionLost(error);
      else {
        const addresses = batch.map((w) =>
          "deleteAddress" in w.op ? w.op.deleteAddress : w.op.lease.address,
        );
        await this.#refresh(addresses).catch((refreshError: unknown) =>
          this.#host.connectionLost(refreshError),
        );
      }
      const failure = unavailableError(this.#host.where, error);
      for (const waiting of batch) waiting.reject(failure);
    }
  }

  async #commitSegment(segment: Waiting[]): Promise<void> {
    const pool = this.#host.pool();
    const cache = this.#host.cache;
    const first = segment[0]!.op;
    if ("deleteAddress" in first) {
      const { rows } = await pool.query<{ version: string }>(
        "DELETE FROM siteboot_lease4 WHERE address = $1 RETURNING version",
        [first.deleteAddress],
      );
      const version = rows[0] === undefined ? undefined : Number(rows[0].version);
      // A notification may have arrived while the statement ran; a later put of ours stays cached.
      // Every put made before this delete has settled (earlier segments and batches), so a
      // pending put of the address is a later one.
      cache.deleted(first.deleteAddress, version, this.#pendingPuts.has(first.deleteAddress));
      segment[0]!.resolve();
      return;
    }
    const puts = segment.map((w) => w.op as PendingPut);
    const result = await pool.query<{ address: string; version: string }>(UPSERT_SQL, upsertParameters(puts));
    this.#counts.commits++;
    this.#counts.puts += puts.length;
    const committed = new Map<number, number>();
    for (const row of result.rows) committed.set(Number(row.address), Number(row.version));
    const conflicts: number[] = [];
    for (const put of puts) {
      const version = committed.get(put.lease.address);
      if (version === undefined) conflicts.push(put.lease.address);
      else {
        put.committedVersion = version;
        // A notification applied meanwhile may have replaced the cached row: ours is newer.
        // #pendingPuts holds the latest unsettled put of the address: another one is a later put.
        cache.committed(put.lease, version, this.#pendingPuts.get(put.lease.address) !== put);
      }
    }
    if (conflicts.length > 0) await this.#refresh(conflicts);
    for (const waiting of segment) {
      const { lease } = waiting.op as PendingPut;
      if (committed.has(lease.address)) waiting.resolve();
      else {
        this.#counts.conflicts++;
        const conflict = this.#conflictError(lease);
        this.#host.conflict(conflict.message);
        waiting.reject(conflict);
      }
    }
  }

  /** Replaces the cached rows of these addresses with the database's. */
  async #refresh(addresses: number[]): Promise<void> {
    const pool = this.#host.pool();
    const { rows } = await pool.query<LeaseRow>(
      `SELECT ${LEASE_COLUMNS} FROM siteboot_lease4 WHERE address = ANY($1::bigint[])`,
      [addresses],
    );
    this.#host.cache.refresh(addresses, versionedRows(rows));
  }

  #conflictError(lease: Lease): LeaseStoreError {
    const holder = this.#host.cache.index.get(lease.address);
    return new LeaseStoreError(
      "SITEBOOT_ERR_LEASES_CONFLICT",
      `lease store: address ${formatIpv4(lease.address)} is held by ${holder?.clientKey ?? "another client"} in ${this.#host.where}; not given to ${lease.clientKey}`,
    );
  }
}

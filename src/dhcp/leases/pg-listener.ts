import pg from "pg";
import type { Lease } from "./lease.js";
import type { PgLeaseCache } from "./pg-cache.js";
import { endClient } from "./pg-connection.js";
import {
  LEASE_COLUMNS,
  type LeaseChange,
  type LeaseRow,
  parseLeaseChange,
  versionedRows,
} from "./pg-rows.js";
import { PG_LEASE_CHANNEL } from "./pg-schema.js";

/** The lease another instance wrote (undefined: its row deleted) and the one cached before. */
export type RemoteWriteListener = (lease: Lease | undefined, previous: Lease | undefined) => void;

/**
 * Other instances' changes reaching the PostgreSQL store's cache: one connection LISTENs for their
 * notifications, and the cache is (re)loaded once it does, so that no change is missed in between.
 */
export class PgChangeListener {
  readonly #cache: PgLeaseCache;
  /** This instance's own changes carry it: their notifications are not applied twice. */
  readonly #origin: string;
  readonly #onLost: (error: unknown) => void;
  #client: pg.Client | undefined;
  /** Notifications that arrive while the cache is being reloaded, applied after it. */
  #deferred: LeaseChange[] | undefined;
  #applied = 0;
  readonly #writeListeners = new Set<RemoteWriteListener>();

  /** `onLost` hears every failure or close of the listening connection. */
  constructor(cache: PgLeaseCache, origin: string, onLost: (error: unknown) => void) {
    this.#cache = cache;
    this.#origin = origin;
    this.#onLost = onLost;
  }

  /** Changes from other instances applied to the cache. */
  get applied(): number {
    return this.#applied;
  }

  /**
   * LISTEN first, then read every row: a change committed in between arrives as a notification.
   * Rows are read in write order (version), which byClient's tie-break between equal starts needs.
   * `pool` is asked for the store's pool when the rows are read.
   */
  async listenAndReload(config: pg.ClientConfig, pool: () => pg.Pool): Promise<void> {
    const listener = new pg.Client(config);
    listener.on("error", (error) => this.#onLost(error));
    listener.on("end", () => this.#onLost(new Error("the connection was closed")));
    listener.on("notification", (message) => {
      if (message.channel !== PG_LEASE_CHANNEL || this.#client !== listener) return;
      const change = parseLeaseChange(message.payload);
      if (change === undefined || change.origin === this.#origin) return;
      if (this.#deferred) this.#deferred.push(change);
      else this.#apply(change);
    });
    this.#client = listener;
    this.#deferred = [];
    try {
      await listener.connect();
      await listener.query(`LISTEN ${PG_LEASE_CHANNEL}`);
      const { rows } = await pool().query<LeaseRow>(
        `SELECT ${LEASE_COLUMNS} FROM siteboot_lease4 ORDER BY version`,
      );
      this.#cache.load(versionedRows(rows));
      const deferred = this.#deferred;
      this.#deferred = undefined;
      for (const change of deferred) this.#apply(change);
    } catch (error) {
      this.#deferred = undefined;
      if (this.#client === listener) this.#client = undefined;
      await endClient(listener);
      throw error;
    }
  }

  /** Calls `listener` for each change applied from now on; returns the function that stops it. */
  onWrite(listener: RemoteWriteListener): () => void {
    this.#writeListeners.add(listener);
    return () => this.#writeListeners.delete(listener);
  }

  /** Stops listening; returns the connection's closing, or undefined when none was open. */
  stop(): Promise<void> | undefined {
    const listener = this.#client;
    this.#client = undefined;
    return listener === undefined ? undefined : endClient(listener);
  }

  /** A change another instance committed: applied unless the cache already holds a later one. */
  #apply(change: LeaseChange): void {
    const previous = this.#cache.index.get(change.address);
    if (!this.#cache.apply(change)) return;
    this.#applied++;
    const lease = change.deleted ? undefined : change.lease;
    for (const listener of this.#writeListeners) listener(lease, previous);
  }
}

import { randomBytes } from "node:crypto";
import pg from "pg";
import { formatIpv4 } from "../../config/ipv4.js";
import type { EventSink, LeasesPgEvent } from "../../observe/events.js";
import { copyLease, type Lease, leaseProblem } from "./lease.js";
import type { LeaseStore } from "./lease-store.js";
import { LeaseStoreError } from "./lease-store-error.js";
import { PgActiveLock } from "./pg-active-lock.js";
import { describeError, isConnectionError, redactUrl, segments, type Waiting } from "./pg-batch.js";
import { PgLeaseCache } from "./pg-cache.js";
import { ReconnectSchedule } from "./pg-reconnect.js";
import {
  LEASE_COLUMNS,
  type LeaseChange,
  type LeaseRow,
  leaseFromRow,
  type PendingPut,
  parseLeaseChange,
  UPSERT_SQL,
  upsertParameters,
  type VersionedLease,
} from "./pg-rows.js";
import { migratePgSchema, PG_LEASE_CHANNEL } from "./pg-schema.js";

export interface PgLeaseStoreOptions {
  /** postgresql://user:password@host:port/database (a Unix socket directory as %2F-encoded host). */
  readonly url: string;
  /** Most connections this store opens for writes and reloads (default 4), plus one listener. */
  readonly maxConnections?: number;
  /** Time allowed to connect, in ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Longest time one statement may run before it fails, in ms (default 10000). */
  readonly statementTimeoutMs?: number;
  /**
   * First pause before trying the database again after it was lost or unreachable at open, in ms
   * (default 1000); it doubles after each failed attempt, up to 30 s.
   */
  readonly reconnectIntervalMs?: number;
  /**
   * Connection lost and restored, the first failed attempts and a new cause of failure: one line
   * each, for the log.
   */
  readonly onConnectionChange?: (connected: boolean, detail: string) => void;
  /**
   * Hot standby: serve only while holding the database's active lock (see pg-active-lock.ts);
   * `serving` says which. Default false: every server sharing the database is active.
   */
  readonly hotStandby?: boolean;
  /** This server became the active one, or stopped being it (hot standby only). */
  readonly onRoleChange?: (active: boolean) => void;
}

export interface PgLeaseStoreStats {
  /** Statements that committed puts (group commit makes this smaller than `puts`). */
  readonly commits: number;
  readonly puts: number;
  /** Puts refused because another server held the address (lost races decided by the database). */
  readonly conflicts: number;
  /** Changes from other instances applied to the cache. */
  readonly remoteChanges: number;
  /** Connections restored after a loss (the first connection is not one). */
  readonly reconnects: number;
}

type Phase = "new" | "open" | "closed";

/**
 * Leases in a PostgreSQL database that several siteboot instances may share (Kea's pgsql lease
 * backend is the model). The in-memory index is a cache serving synchronous reads; puts arriving
 * together are committed by one statement (group commit) and resolve once committed; a put for an
 * address another instance holds fails with SITEBOOT_ERR_LEASES_CONFLICT and refreshes that row.
 * Other instances' changes reach the cache through LISTEN/NOTIFY; after a lost connection every
 * put fails with SITEBOOT_ERR_LEASES_UNAVAILABLE until the store has reconnected and reloaded.
 * A database unreachable at open does not fail the open: the store serves nothing (`serving` is
 * false) until it has connected and loaded its cache, trying again in the background.
 * See docs/leases.md.
 */
export class PgLeaseStore implements LeaseStore {
  readonly #options: PgLeaseStoreOptions;
  /** Names the database in messages, without the password. */
  readonly where: string;
  /** Marks this instance's own changes, so their notifications are not applied twice. */
  readonly #origin = randomBytes(8).toString("hex");
  readonly #cache = new PgLeaseCache();
  #phase: Phase = "new";
  #pool: pg.Pool | undefined;
  #activeLock: PgActiveLock | undefined;
  #listener: pg.Client | undefined;
  /** Why the database is unreachable; undefined while connected. */
  #lost: string | undefined;
  /** The cache has been loaded from the database since open (false while unreachable at start). */
  #loaded = false;
  readonly #schedule: ReconnectSchedule;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Where the store's events go (the DHCP service passes the appliance's event stream). */
  readonly #sinks = new Set<EventSink>();
  /** Notifications that arrive while the cache is being reloaded, applied after it. */
  #deferred: LeaseChange[] | undefined;
  #queue: Waiting[] = [];
  /** The latest put of each address not settled yet: a later put of the address was decided on it. */
  readonly #pendingPuts = new Map<number, PendingPut>();
  #flushing: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #stats = { commits: 0, puts: 0, conflicts: 0, remoteChanges: 0, reconnects: 0 };

  constructor(options: PgLeaseStoreOptions) {
    this.#options = options;
    this.where = `PostgreSQL ${redactUrl(options.url)}`;
    this.#schedule = new ReconnectSchedule(options.reconnectIntervalMs ?? 1000, this.where);
  }

  get stats(): PgLeaseStoreStats {
    return { ...this.#stats };
  }

  /**
   * False until the cache has been loaded from the database, and while another server is the
   * active one (hot standby): the DHCP service stays silent.
   */
  get serving(): boolean {
    return this.#loaded && (this.#activeLock === undefined || this.#activeLock.held);
  }

  /** Whether the database is reachable now (puts are refused while it is not). */
  get connected(): boolean {
    return this.#phase === "open" && this.#loaded && this.#lost === undefined;
  }

  /**
   * Connects, creates or checks the schema and loads the cache. A database that cannot be reached
   * (connection refused, no socket, a timeout, starting up) is not an error: open resolves with a
   * warning saying so, and the store keeps trying in the background (see `serving`). Anything
   * else (authentication, a missing database, a newer schema) rejects.
   */
  async open(): Promise<{ readonly warnings: readonly string[] }> {
    if (this.#phase === "open") return { warnings: [] };
    this.#phase = "open";
    this.#lost = undefined;
    this.#pool = this.#newPool();
    try {
      await this.#establish();
    } catch (error) {
      if (!(error instanceof LeaseStoreError) && isConnectionError(error)) {
        this.#lost = describeError(error);
        this.#schedule.lost(this.#lost);
        this.#scheduleReconnect();
        return {
          warnings: [
            `lease store: ${this.where} is unreachable at start (${this.#lost}); DHCP answers nothing until it is reached and its leases are loaded, trying again ${this.#schedule.describe()}`,
          ],
        };
      }
      await this.#teardown();
      this.#phase = "new";
      if (error instanceof LeaseStoreError) throw error;
      throw this.#unavailable(error);
    }
    return { warnings: [] };
  }

  /** Sends the store's events to `sink`, starting with its connection now; returns the detach. */
  reportTo(sink: EventSink): () => void {
    this.#sinks.add(sink);
    sink.emit({ type: "leases.pg", at: Date.now(), action: this.connected ? "connected" : "disconnected" });
    return () => this.#sinks.delete(sink);
  }

  #report(action: LeasesPgEvent["action"], detail: string): void {
    const event: LeasesPgEvent = { type: "leases.pg", at: Date.now(), action, detail };
    for (const sink of this.#sinks) sink.emit(event);
  }

  /** The schema, the cache and (hot standby) the active lock: everything a first connection sets up. */
  async #establish(): Promise<void> {
    const client = await this.#pool!.connect();
    try {
      await migratePgSchema(client, this.where);
    } finally {
      client.release();
    }
    await this.#connectAndReload();
    // Closed while connecting in the background: what was opened meanwhile is closed too.
    if (this.#phase !== "open" || this.#closing) {
      await this.#teardown();
      throw new Error("the lease store was closed");
    }
    if (this.#options.hotStandby) {
      this.#activeLock = new PgActiveLock(this.#clientConfig(), this.#reconnectIntervalMs, (held) =>
        this.#options.onRoleChange?.(held),
      );
      await this.#activeLock.start();
    }
    this.#loaded = true;
  }

  get size(): number {
    return this.#cache.index.size;
  }

  byAddress(address: number): Lease | undefined {
    return this.#cache.index.get(address);
  }

  byClient(clientKey: string): Lease | undefined {
    return this.#cache.index.byClient(clientKey);
  }

  all(): IterableIterator<Lease> {
    return this.#cache.index.snapshot();
  }

  put(lease: Lease): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    const problem = leaseProblem(lease);
    if (problem !== undefined) {
      return Promise.reject(new LeaseStoreError("SITEBOOT_ERR_LEASES_INVALID", `lease store: ${problem}`));
    }
    const copy = copyLease(lease);
    const address = copy.address;
    const put: PendingPut = {
      lease: copy,
      seen: this.#cache.seen(address),
      after: this.#pendingPuts.get(address),
    };
    this.#pendingPuts.set(address, put);
    this.#cache.index.set(copy);
    const committed = this.#enqueue(put);
    const settled = () => {
      if (this.#pendingPuts.get(address) === put) this.#pendingPuts.delete(address);
    };
    committed.then(settled, settled);
    return committed;
  }

  delete(address: number): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    this.#cache.index.delete(address);
    return this.#enqueue({ deleteAddress: address });
  }

  /** PostgreSQL reclaims dead rows itself (autovacuum): only waits for pending writes. */
  async compact(): Promise<void> {
    const refused = this.#refusal();
    if (refused) throw refused;
    await this.#flushing;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#phase !== "open") {
      this.#phase = "closed";
      return;
    }
    while (this.#flushing) await this.#flushing;
    this.#phase = "closed";
    await this.#teardown();
  }

  #refusal(): LeaseStoreError | undefined {
    if (this.#phase !== "open" || this.#closing) {
      return new LeaseStoreError("SITEBOOT_ERR_LEASES_NOT_OPEN", `lease store: ${this.where} is not open`);
    }
    if (this.#lost !== undefined) return this.#lostError();
    return undefined;
  }

  #lostError(): LeaseStoreError {
    return new LeaseStoreError(
      "SITEBOOT_ERR_LEASES_UNAVAILABLE",
      `lease store: ${this.where} is unreachable (${this.#lost}); nothing is committed until it is back, reconnecting ${this.#schedule.describe()}`,
    );
  }

  get #reconnectIntervalMs(): number {
    return this.#options.reconnectIntervalMs ?? 1000;
  }

  // ---- connections ---------------------------------------------------------------------------

  #clientConfig(): pg.ClientConfig {
    return {
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5000,
      statement_timeout: this.#options.statementTimeoutMs ?? 10_000,
      // A database that stops answering without closing the connection (a dead network) is
      // noticed on the client side too, and handled as a lost connection.
      query_timeout: (this.#options.statementTimeoutMs ?? 10_000) + 2000,
      application_name: "siteboot",
      keepAlive: true,
      // The notification trigger reads it to name the instance that made a change.
      options: `-c siteboot.origin=${this.#origin}`,
    };
  }

  #newPool(): pg.Pool {
    const pool = new pg.Pool({ ...this.#clientConfig(), max: this.#options.maxConnections ?? 4 });
    // An idle connection dropped by the server: the pool discards it; the next query reconnects.
    pool.on("error", () => {});
    return pool;
  }

  /**
   * LISTEN first, then read every row: a change committed in between arrives as a notification.
   * Rows are read in write order (version), which byClient's tie-break between equal starts needs.
   */
  async #connectAndReload(): Promise<void> {
    const listener = new pg.Client(this.#clientConfig());
    listener.on("error", (error) => this.#connectionLost(error));
    listener.on("end", () => this.#connectionLost(new Error("the connection was closed")));
    listener.on("notification", (message) => {
      if (message.channel !== PG_LEASE_CHANNEL || this.#listener !== listener) return;
      const change = parseLeaseChange(message.payload);
      if (change === undefined || change.origin === this.#origin) return;
      if (this.#deferred) this.#deferred.push(change);
      else this.#apply(change);
    });
    this.#listener = listener;
    this.#deferred = [];
    try {
      await listener.connect();
      await listener.query(`LISTEN ${PG_LEASE_CHANNEL}`);
      const { rows } = await this.#pool!.query<LeaseRow>(
        `SELECT ${LEASE_COLUMNS} FROM siteboot_lease4 ORDER BY version`,
      );
      this.#cache.load(versionedRows(rows));
      const deferred = this.#deferred;
      this.#deferred = undefined;
      for (const change of deferred) this.#apply(change);
    } catch (error) {
      this.#deferred = undefined;
      if (this.#listener === listener) this.#listener = undefined;
      listener.removeAllListeners("end");
      await listener.end().catch(() => {});
      throw error;
    }
  }

  /** A change another instance committed: applied unless the cache already holds a later one. */
  #apply(change: LeaseChange): void {
    if (this.#cache.apply(change)) this.#stats.remoteChanges++;
  }

  #connectionLost(error: unknown): void {
    if (this.#phase !== "open" || this.#closing || this.#lost !== undefined) return;
    this.#lost = describeError(error);
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener) {
      listener.removeAllListeners("end");
      listener.end().catch(() => {});
    }
    this.#schedule.lost(this.#lost);
    const message = this.#lostError().message;
    this.#options.onConnectionChange?.(false, message);
    this.#report("disconnected", message);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#reconnect();
    }, this.#schedule.delayMs);
    this.#reconnectTimer.unref();
  }

  async #reconnect(): Promise<void> {
    if (this.#phase !== "open" || this.#closing) return;
    // A batch that was being committed when the connection broke finishes failing first.
    if (this.#flushing) await this.#flushing.catch(() => {});
    const first = !this.#loaded;
    try {
      if (first) await this.#establish();
      else await this.#connectAndReload();
    } catch (error) {
      if (this.#phase !== "open" || this.#closing) return;
      this.#lost = describeError(error);
      const line = this.#schedule.failed(this.#lost);
      if (line !== undefined) this.#options.onConnectionChange?.(false, line);
      this.#scheduleReconnect();
      return;
    }
    if (this.#phase !== "open" || this.#closing) return;
    this.#lost = undefined;
    // At start, open() made the first attempt.
    const attempts = this.#schedule.succeeded() + (first ? 1 : 0);
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
    if (first) {
      const message = `lease store: ${this.where} reached after ${tries}, ${this.size} leases loaded; DHCP answers from now on`;
      this.#options.onConnectionChange?.(true, message);
      this.#report("connected", message);
    } else {
      this.#stats.reconnects++;
      const message = `lease store: ${this.where} reachable again after ${tries}, cache reloaded`;
      this.#options.onConnectionChange?.(true, message);
      this.#report("reconnected", message);
    }
  }

  async #teardown(): Promise<void> {
    await this.#activeLock?.close();
    this.#activeLock = undefined;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener) {
      listener.removeAllListeners("end");
      await listener.end().catch(() => {});
    }
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end().catch(() => {});
  }

  #unavailable(error: unknown): LeaseStoreError {
    return new LeaseStoreError(
      "SITEBOOT_ERR_LEASES_UNAVAILABLE",
      `lease store: cannot use ${this.where}: ${describeError(error)}`,
      { cause: error },
    );
  }

  // ---- group commit --------------------------------------------------------------------------

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
    if (this.#lost !== undefined) {
      const error = this.#lostError();
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    try {
      const runs = segments(batch);
      for (const run of runs) await this.#commitSegment(run);
    } catch (error) {
      // Puts not yet settled fail. Their cached rows are replaced: by the reload after a
      // reconnect, or (a refused statement, a timeout) by reading those rows back now.
      if (isConnectionError(error)) this.#connectionLost(error);
      else {
        const addresses = batch.map((w) =>
          "deleteAddress" in w.op ? w.op.deleteAddress : w.op.lease.address,
        );
        await this.#refresh(addresses).catch((refreshError: unknown) => this.#connectionLost(refreshError));
      }
      const failure = this.#unavailable(error);
      for (const waiting of batch) waiting.reject(failure);
    }
  }

  async #commitSegment(segment: Waiting[]): Promise<void> {
    const pool = this.#pool!;
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
      this.#cache.deleted(first.deleteAddress, version, this.#pendingPuts.has(first.deleteAddress));
      segment[0]!.resolve();
      return;
    }
    const puts = segment.map((w) => w.op as PendingPut);
    const result = await pool.query<{ address: string; version: string }>(UPSERT_SQL, upsertParameters(puts));
    this.#stats.commits++;
    this.#stats.puts += puts.length;
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
        this.#cache.committed(put.lease, version, this.#pendingPuts.get(put.lease.address) !== put);
      }
    }
    if (conflicts.length > 0) await this.#refresh(conflicts);
    for (const waiting of segment) {
      const { lease } = waiting.op as PendingPut;
      if (committed.has(lease.address)) waiting.resolve();
      else {
        this.#stats.conflicts++;
        const conflict = this.#conflictError(lease);
        this.#report("conflict", conflict.message);
        waiting.reject(conflict);
      }
    }
  }

  /** Replaces the cached rows of these addresses with the database's. */
  async #refresh(addresses: number[]): Promise<void> {
    const { rows } = await this.#pool!.query<LeaseRow>(
      `SELECT ${LEASE_COLUMNS} FROM siteboot_lease4 WHERE address = ANY($1::bigint[])`,
      [addresses],
    );
    this.#cache.refresh(addresses, versionedRows(rows));
  }

  #conflictError(lease: Lease): LeaseStoreError {
    const holder = this.#cache.index.get(lease.address);
    return new LeaseStoreError(
      "SITEBOOT_ERR_LEASES_CONFLICT",
      `lease store: address ${formatIpv4(lease.address)} is held by ${holder?.clientKey ?? "another client"} in ${this.where}; not given to ${lease.clientKey}`,
    );
  }
}

function* versionedRows(rows: Iterable<LeaseRow>): Generator<VersionedLease> {
  for (const row of rows) {
    const versioned = leaseFromRow(row);
    if (versioned !== undefined) yield versioned;
  }
}

import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { EventSink, LeasesPgEvent } from "../../observe/events.js";
import { copyLease, type Lease, leaseProblem } from "./lease.js";
import type { LeaseStore } from "./lease-store.js";
import { LeaseStoreError } from "./lease-store-error.js";
import { PgActiveLock } from "./pg-active-lock.js";
import { describeError, isConnectionError, redactUrl, unavailableError } from "./pg-batch.js";
import { PgLeaseCache } from "./pg-cache.js";
import { type PgCommitCounts, PgGroupCommit } from "./pg-commit.js";
import { newPgPool, type PgConnectionOptions, pgClientConfig } from "./pg-connection.js";
import { PgChangeListener, type RemoteWriteListener } from "./pg-listener.js";
import { ReconnectSchedule } from "./pg-reconnect.js";
import { migratePgSchema } from "./pg-schema.js";

export interface PgLeaseStoreOptions extends PgConnectionOptions {
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

export interface PgLeaseStoreStats extends PgCommitCounts {
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
 * This class holds the store's lifecycle (open, loss, reconnect, close); its writes are in
 * pg-commit.ts, the listener in pg-listener.ts. See docs/leases.md.
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
  readonly #changes: PgChangeListener;
  /** Why the database is unreachable; undefined while connected. */
  #lost: string | undefined;
  /** The cache has been loaded from the database since open (false while unreachable at start). */
  #loaded = false;
  readonly #schedule: ReconnectSchedule;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Where the store's events go (the DHCP service passes the appliance's event stream). */
  readonly #sinks = new Set<EventSink>();
  readonly #commits: PgGroupCommit;
  #closing: Promise<void> | undefined;
  #reconnects = 0;

  constructor(options: PgLeaseStoreOptions) {
    this.#options = options;
    this.where = `PostgreSQL ${redactUrl(options.url)}`;
    this.#schedule = new ReconnectSchedule(options.reconnectIntervalMs ?? 1000, this.where);
    this.#changes = new PgChangeListener(this.#cache, this.#origin, (error) => this.#connectionLost(error));
    this.#commits = new PgGroupCommit({
      where: this.where,
      cache: this.#cache,
      pool: () => this.#pool!,
      lostError: () => (this.#lost === undefined ? undefined : this.#lostError()),
      connectionLost: (error) => this.#connectionLost(error),
      conflict: (message) => this.#report("conflict", message),
    });
  }

  get stats(): PgLeaseStoreStats {
    return { ...this.#commits.counts, remoteChanges: this.#changes.applied, reconnects: this.#reconnects };
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
    this.#pool = newPgPool(this.#options, this.#origin);
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
      throw unavailableError(this.where, error);
    }
    return { warnings: [] };
  }

  /** Sends the store's events to `sink`, starting with its connection now; returns the detach. */
  reportTo(sink: EventSink): () => void {
    this.#sinks.add(sink);
    sink.emit({ type: "leases.pg", at: Date.now(), action: this.connected ? "connected" : "disconnected" });
    return () => this.#sinks.delete(sink);
  }

  /** Calls `listener` for each write of another server that reaches the cache; returns the detach. */
  onRemoteWrite(listener: RemoteWriteListener): () => void {
    return this.#changes.onWrite(listener);
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
    await this.#listenAndReload();
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
    return this.#commits.put(copyLease(lease));
  }

  delete(address: number): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    return this.#commits.delete(address);
  }

  /** PostgreSQL reclaims dead rows itself (autovacuum): only waits for pending writes. */
  async compact(): Promise<void> {
    const refused = this.#refusal();
    if (refused) throw refused;
    await this.#commits.flushing;
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
    while (this.#commits.flushing) await this.#commits.flushing;
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
    return pgClientConfig(this.#options, this.#origin);
  }

  #listenAndReload(): Promise<void> {
    return this.#changes.listenAndReload(this.#clientConfig(), () => this.#pool!);
  }

  #connectionLost(error: unknown): void {
    if (this.#phase !== "open" || this.#closing || this.#lost !== undefined) return;
    this.#lost = describeError(error);
    void this.#changes.stop();
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
    const flushing = this.#commits.flushing;
    if (flushing) await flushing.catch(() => {});
    const first = !this.#loaded;
    try {
      if (first) await this.#establish();
      else await this.#listenAndReload();
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
      this.#reconnects++;
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
    const stopping = this.#changes.stop();
    if (stopping) await stopping;
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end().catch(() => {});
  }
}

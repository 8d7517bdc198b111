import { mkdir } from "node:fs/promises";
import { LEASE_DIR_MODE } from "./durable-fs.js";
import { JournalFiles } from "./journal-files.js";
import { acquireJournalLock, type JournalLock } from "./journal-lock.js";
import { replayJournal } from "./journal-replay.js";
import { type FileLeaseStoreStats, JournalWriter } from "./journal-writer.js";
import { copyLease, type Lease, leaseProblem } from "./lease.js";
import { LeaseIndex } from "./lease-index.js";
import { encodeDelete, encodePut } from "./lease-record.js";
import type { LeaseStore } from "./lease-store.js";
import { LeaseStoreError, leaseIoError } from "./lease-store-error.js";
import { readJournalFile } from "./read-lease-journal.js";

export type { FileLeaseStoreStats } from "./journal-writer.js";

export interface FileLeaseStoreOptions {
  /** Directory of the journal; created (mode 0750) when missing. */
  readonly dir: string;
  /** Default "leases4.jsonl". */
  readonly fileName?: string;
  /** Appends between automatic compactions (default 10000). */
  readonly compactEvery?: number;
  /** Durable appends (O_DSYNC) and fsync'd renames (default true). Only tests and benchmarks turn it off. */
  readonly fsync?: boolean;
  /**
   * Least time between the starts of two durable writes, in ms (default 2). An idle store writes
   * at once; under load, changes made within one interval share one write (a commit delay, as
   * PostgreSQL's commit_delay), so the number of disk flushes per second stays bounded. 0 writes
   * whenever the previous write has finished.
   */
  readonly commitIntervalMs?: number;
  /** Problems found in the background (an automatic compaction that failed). */
  readonly onWarning?: (message: string) => void;
}

const DEFAULT_FILE_NAME = "leases4.jsonl";
const DEFAULT_COMPACT_EVERY = 10_000;
const DEFAULT_COMMIT_INTERVAL_MS = 2;
/** At open, compact when dead rows outnumber live ones and there are at least this many. */
const OPEN_COMPACT_MIN_DEAD = 100;

type Phase = "new" | "opening" | "open" | "closing" | "closed";

/**
 * The embedded default backend: an append-only JSON-lines journal replayed at open (later line
 * wins), every change appended durably (O_DSYNC) before its promise resolves, concurrent changes
 * sharing one write and one fsync, compaction by new file + fsync + rename + directory fsync.
 * This class keeps the index, the lifecycle and the lock; `JournalWriter` writes the journal and
 * `JournalFiles` holds its file steps. See docs/leases.md.
 */
export class FileLeaseStore implements LeaseStore {
  readonly dir: string;
  readonly path: string;
  readonly #files: JournalFiles;
  readonly #index = new LeaseIndex();
  readonly #journal: JournalWriter;
  #phase: Phase = "new";
  #openResult: Promise<{ readonly warnings: readonly string[] }> | undefined;
  #closeResult: Promise<void> | undefined;
  #lock: JournalLock | undefined;

  constructor(options: FileLeaseStoreOptions) {
    const compactEvery = options.compactEvery ?? DEFAULT_COMPACT_EVERY;
    if (!Number.isInteger(compactEvery) || compactEvery < 1) {
      throw new LeaseStoreError(
        "SITEBOOT_ERR_LEASES_INVALID",
        `lease store: compactEvery must be a positive integer, got ${String(compactEvery)}`,
      );
    }
    const commitInterval = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    if (!Number.isFinite(commitInterval) || commitInterval < 0) {
      throw new LeaseStoreError(
        "SITEBOOT_ERR_LEASES_INVALID",
        `lease store: commitIntervalMs must be a finite number ≥ 0, got ${String(commitInterval)}`,
      );
    }
    this.#files = new JournalFiles(options.dir, options.fileName ?? DEFAULT_FILE_NAME, options.fsync ?? true);
    this.dir = this.#files.dir;
    this.path = this.#files.path;
    this.#journal = new JournalWriter(this.#files, this.#index, {
      compactEvery,
      commitIntervalMs: commitInterval,
      onWarning: options.onWarning ?? (() => {}),
    });
  }

  get size(): number {
    return this.#index.size;
  }

  get stats(): FileLeaseStoreStats {
    return this.#journal.stats;
  }

  byAddress(address: number): Lease | undefined {
    return this.#index.get(address);
  }

  byClient(clientKey: string): Lease | undefined {
    return this.#index.byClient(clientKey);
  }

  /** A snapshot: changing the store while iterating neither skips nor revisits a lease. */
  all(): IterableIterator<Lease> {
    return this.#index.snapshot();
  }

  open(): Promise<{ readonly warnings: readonly string[] }> {
    if (this.#phase === "closing" || this.#phase === "closed") {
      return Promise.reject(this.#notOpen("closed; create a new FileLeaseStore to open it again"));
    }
    this.#openResult ??= this.#load();
    return this.#openResult;
  }

  put(lease: Lease): Promise<void> {
    const refusal = this.#refuseChange();
    if (refusal !== undefined) return Promise.reject(refusal);
    const problem = leaseProblem(lease);
    if (problem !== undefined) {
      return Promise.reject(new LeaseStoreError("SITEBOOT_ERR_LEASES_INVALID", `lease store: ${problem}`));
    }
    const copy = copyLease(lease);
    this.#index.set(copy);
    return this.#journal.append(encodePut(copy));
  }

  delete(address: number): Promise<void> {
    const refusal = this.#refuseChange();
    if (refusal !== undefined) return Promise.reject(refusal);
    if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
      return Promise.reject(
        new LeaseStoreError(
          "SITEBOOT_ERR_LEASES_INVALID",
          `lease store: address must be an unsigned 32-bit integer, got ${String(address)}`,
        ),
      );
    }
    this.#index.delete(address);
    return this.#journal.append(encodeDelete(address));
  }

  compact(): Promise<void> {
    const refusal = this.#refuseChange();
    if (refusal !== undefined) return Promise.reject(refusal);
    return this.#journal.compact();
  }

  close(): Promise<void> {
    this.#closeResult ??= this.#shutdown();
    return this.#closeResult;
  }

  #refuseChange(): LeaseStoreError | undefined {
    if (this.#phase !== "open")
      return this.#notOpen(this.#phase === "new" ? "call open() first" : this.#phase);
    return this.#journal.failure;
  }

  #notOpen(detail: string): LeaseStoreError {
    return new LeaseStoreError(
      "SITEBOOT_ERR_LEASES_NOT_OPEN",
      `lease store: ${this.path} is not open (${detail})`,
      {
        path: this.path,
      },
    );
  }

  // ── open: lock, replay, recovery ────────────────────────────────────────────────────────────

  async #load(): Promise<{ readonly warnings: readonly string[] }> {
    this.#phase = "opening";
    const warnings: string[] = [];
    try {
      await mkdir(this.dir, { recursive: true, mode: LEASE_DIR_MODE }).catch((error: unknown) => {
        throw leaseIoError("create the lease directory", this.dir, error);
      });
      this.#lock = await acquireJournalLock(this.path);
      if (await this.#files.removeLeftoverTmp()) {
        warnings.push(
          `lease store: removed ${this.#files.tmpPath} left by an interrupted compaction; ${this.path} is authoritative`,
        );
      }

      const data = await readJournalFile(this.path);
      const replay = replayJournal(data ?? Buffer.alloc(0), this.path, this.#index);
      warnings.push(...replay.warnings);

      this.#journal.attach(await this.#files.openForAppending("open the lease journal for appending"));
      if (data === undefined && this.#files.sync) await this.#files.syncDir();
      this.#journal.continueAfter(replay);

      const dead = replay.records - this.#index.size;
      if (replay.corruptLines > 0 || (dead >= OPEN_COMPACT_MIN_DEAD && dead > this.#index.size)) {
        try {
          const kept = await this.#journal.compactNow();
          if (kept !== undefined) {
            warnings.push(
              `lease store: ${this.path} had ${replay.corruptLines} damaged line(s); the original is kept as ` +
                `${kept} and the journal was rewritten with the ${this.#index.size} valid lease(s)`,
            );
          }
        } catch (error) {
          const failure = this.#journal.failure;
          if (failure !== undefined) throw failure;
          // The journal is intact and authoritative; appends start on a fresh line.
          warnings.push(
            `${error instanceof Error ? error.message : String(error)}; continuing with the journal as it is`,
          );
        }
      }
      this.#phase = "open";
      return { warnings };
    } catch (error) {
      this.#phase = "closed";
      this.#index.clear();
      const handle = this.#journal.detach();
      await handle?.close().catch(() => {});
      await this.#lock?.release();
      this.#lock = undefined;
      throw error;
    }
  }

  // ── close ───────────────────────────────────────────────────────────────────────────────────

  async #shutdown(): Promise<void> {
    if (this.#phase === "opening") await this.#openResult?.catch(() => {});
    if (this.#phase === "open") this.#phase = "closing";
    if (this.#journal.writing) await this.#journal.whenIdle();
    const handle = this.#journal.detach();
    this.#phase = "closed";
    try {
      if (handle !== undefined) {
        await handle.close().catch((error: unknown) => {
          throw leaseIoError("close", this.path, error);
        });
      }
    } finally {
      await this.#lock?.release();
      this.#lock = undefined;
    }
  }
}

import { constants } from "node:fs";
import { copyFile, type FileHandle, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  LEASE_DIR_MODE,
  LEASE_FILE_MODE,
  syncDirectory,
  syncFile,
  writeAll,
  writeFileDurably,
} from "./durable-fs.js";
import { acquireJournalLock, type JournalLock } from "./journal-lock.js";
import { replayJournal } from "./journal-replay.js";
import { copyLease, type Lease, leaseProblem } from "./lease.js";
import { LeaseIndex } from "./lease-index.js";
import { encodeDelete, encodePut } from "./lease-record.js";
import type { LeaseStore } from "./lease-store.js";
import { LeaseStoreError, leaseIoError } from "./lease-store-error.js";

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

export interface FileLeaseStoreStats {
  /** Records appended (puts and deletes) since open. */
  readonly appends: number;
  /** write() batches since open: group commit makes this smaller than `appends`. */
  readonly writes: number;
  /** Durable (O_DSYNC) writes of appends since open. */
  readonly syncs: number;
  readonly compactions: number;
  /** Records in the journal file now (live rows after a compaction, plus appends since). */
  readonly journalRecords: number;
}

const DEFAULT_FILE_NAME = "leases4.jsonl";
const DEFAULT_COMPACT_EVERY = 10_000;
const DEFAULT_COMMIT_INTERVAL_MS = 2;
/** At open, compact when dead rows outnumber live ones and there are at least this many. */
const OPEN_COMPACT_MIN_DEAD = 100;

/** Changes waiting for the same write + fsync; every put in the batch shares one promise. */
class Batch {
  readonly lines: string[] = [];
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A batch may fail with nobody awaiting it (e.g. only a compaction covered it); callers that
    // await it still see the rejection.
    this.promise.catch(() => {});
  }
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

type Phase = "new" | "opening" | "open" | "closing" | "closed";

/**
 * The embedded default backend: an append-only JSON-lines journal replayed at open (later line
 * wins), every change appended durably (O_DSYNC) before its promise resolves, concurrent changes
 * sharing one write and one fsync, compaction by new file + fsync + rename + directory fsync.
 * See docs/leases.md.
 */
export class FileLeaseStore implements LeaseStore {
  readonly dir: string;
  readonly path: string;
  readonly #tmpPath: string;
  readonly #compactEvery: number;
  readonly #commitIntervalMs: number;
  /** performance.now() when the last durable write started. */
  #lastWriteStart = Number.NEGATIVE_INFINITY;
  readonly #sync: boolean;
  readonly #onWarning: (message: string) => void;

  readonly #index = new LeaseIndex();
  #phase: Phase = "new";
  #openResult: Promise<{ readonly warnings: readonly string[] }> | undefined;
  #closeResult: Promise<void> | undefined;
  #handle: FileHandle | undefined;
  #lock: JournalLock | undefined;
  /** Set by the first failed write or fsync: the file may hold a torn line, so stop changing it. */
  #failure: LeaseStoreError | undefined;

  #batch = new Batch();
  #draining = false;
  #idleWaiters: (() => void)[] = [];
  #compactRequested = false;
  #compactWaiters: Waiter[] = [];
  #sinceCompact = 0;
  /** The journal holds damaged lines no copy has been kept of yet. */
  #damaged = false;
  /** The journal does not end with a newline: the next write starts with one. */
  #needsNewline = false;

  #appends = 0;
  #writes = 0;
  #syncs = 0;
  #compactions = 0;
  #journalRecords = 0;

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
    this.#commitIntervalMs = commitInterval;
    this.dir = options.dir;
    this.path = join(options.dir, options.fileName ?? DEFAULT_FILE_NAME);
    this.#tmpPath = `${this.path}.tmp`;
    this.#compactEvery = compactEvery;
    this.#sync = options.fsync ?? true;
    this.#onWarning = options.onWarning ?? (() => {});
  }

  get size(): number {
    return this.#index.size;
  }

  get stats(): FileLeaseStoreStats {
    return {
      appends: this.#appends,
      writes: this.#writes,
      syncs: this.#syncs,
      compactions: this.#compactions,
      journalRecords: this.#journalRecords,
    };
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
    return this.#append(encodePut(copy));
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
    return this.#append(encodeDelete(address));
  }

  compact(): Promise<void> {
    const refusal = this.#refuseChange();
    if (refusal !== undefined) return Promise.reject(refusal);
    return new Promise<void>((resolve, reject) => {
      this.#compactWaiters.push({ resolve, reject });
      this.#compactRequested = true;
      this.#kick();
    });
  }

  close(): Promise<void> {
    this.#closeResult ??= this.#shutdown();
    return this.#closeResult;
  }

  // ── open ────────────────────────────────────────────────────────────────────────────────────

  async #load(): Promise<{ readonly warnings: readonly string[] }> {
    this.#phase = "opening";
    const warnings: string[] = [];
    try {
      await mkdir(this.dir, { recursive: true, mode: LEASE_DIR_MODE }).catch((error: unknown) => {
        throw leaseIoError("create the lease directory", this.dir, error);
      });
      this.#lock = await acquireJournalLock(this.path);
      if (await this.#removeLeftoverTmp()) {
        warnings.push(
          `lease store: removed ${this.#tmpPath} left by an interrupted compaction; ${this.path} is authoritative`,
        );
      }

      let data: Buffer;
      let existed = true;
      try {
        data = await readFile(this.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
          throw leaseIoError("read the lease journal", this.path, error);
        }
        data = Buffer.alloc(0);
        existed = false;
      }
      const replay = replayJournal(data, this.path, this.#index);
      warnings.push(...replay.warnings);

      try {
        this.#handle = await open(this.path, this.#appendFlags(), LEASE_FILE_MODE);
      } catch (error) {
        throw leaseIoError("open the lease journal for appending", this.path, error);
      }
      if (!existed && this.#sync) await this.#syncDir();
      this.#journalRecords = replay.records;
      this.#sinceCompact = replay.records - this.#index.size;

      // Until a copy is kept, the damaged lines stay in the journal: nothing is ever dropped unseen.
      this.#damaged = replay.corruptLines > 0;
      this.#needsNewline = replay.unterminated;
      const dead = replay.records - this.#index.size;
      if (this.#damaged || (dead >= OPEN_COMPACT_MIN_DEAD && dead > this.#index.size)) {
        try {
          const kept = await this.#compactNow();
          if (kept !== undefined) {
            warnings.push(
              `lease store: ${this.path} had ${replay.corruptLines} damaged line(s); the original is kept as ` +
                `${kept} and the journal was rewritten with the ${this.#index.size} valid lease(s)`,
            );
          }
        } catch (error) {
          if (this.#failure !== undefined) throw this.#failure;
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
      await this.#handle?.close().catch(() => {});
      this.#handle = undefined;
      await this.#lock?.release();
      this.#lock = undefined;
      throw error;
    }
  }

  /** True when a `.tmp` was there. The journal is always the authority: a rename is the commit point. */
  async #removeLeftoverTmp(): Promise<boolean> {
    try {
      await unlink(this.#tmpPath);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw leaseIoError("remove the leftover compaction file", this.#tmpPath, error);
    }
  }

  /**
   * Copies the journal as it is now (the damaged original plus any appends since) to
   * `<file>.corrupt-<timestamp>` before a compaction drops its damaged lines.
   */
  async #preserveDamaged(): Promise<string> {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    for (let attempt = 0; ; attempt++) {
      const copy = `${this.path}.corrupt-${stamp}${attempt === 0 ? "" : `-${attempt}`}`;
      try {
        await copyFile(this.path, copy, constants.COPYFILE_EXCL);
        if (this.#sync) {
          await syncFile(copy);
          await this.#syncDir();
        }
        return copy;
      } catch (error) {
        const exists = (error as NodeJS.ErrnoException).code === "EEXIST";
        if (exists && attempt < 100) continue;
        if (!exists) await unlink(copy).catch(() => {}); // a partial copy of ours, never someone else's
        throw leaseIoError("keep a copy of the damaged journal as", copy, error);
      }
    }
  }

  // ── appends and group commit ────────────────────────────────────────────────────────────────

  #refuseChange(): LeaseStoreError | undefined {
    if (this.#phase !== "open")
      return this.#notOpen(this.#phase === "new" ? "call open() first" : this.#phase);
    return this.#failure;
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

  /** Queues one line for the next batch; the hot path does no I/O itself. */
  #append(line: string): Promise<void> {
    const batch = this.#batch;
    batch.lines.push(`${line}\n`);
    this.#appends++;
    if (++this.#sinceCompact >= this.#compactEvery) this.#compactRequested = true;
    this.#kick();
    return batch.promise;
  }

  /**
   * Starts the writer unless it runs already. setImmediate lets every change made in this turn of
   * the event loop (all the DHCP packets read in one poll) join the first batch; changes made while
   * a write is in flight form the next one.
   */
  #kick(): void {
    if (this.#draining) return;
    this.#draining = true;
    setImmediate(() => this.#drain());
  }

  /**
   * The single writer: batches and compactions never overlap, so the file sees one writer. It
   * runs on callbacks, not awaits: a batch costs one write job and one completion, not a chain of
   * promise turns.
   */
  #drain(): void {
    if (this.#failure !== undefined) {
      this.#idle();
      return;
    }
    if (this.#compactRequested) {
      // #runCompaction settles its own waiters and never rejects.
      this.#runCompaction().then(
        () => this.#drain(),
        () => this.#drain(),
      );
      return;
    }
    const batch = this.#batch;
    if (batch.lines.length === 0) {
      this.#idle();
      return;
    }
    const wait = this.#commitIntervalMs - (performance.now() - this.#lastWriteStart);
    if (wait > 0) {
      // Under load: let the changes of the rest of this interval join the batch.
      setTimeout(() => this.#drain(), wait);
      return;
    }
    this.#lastWriteStart = performance.now();
    this.#batch = new Batch();
    this.#writeBatch(batch, () => this.#drain());
  }

  #idle(): void {
    this.#draining = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Appends the batch durably, settles its promise, then calls `done`. */
  #writeBatch(batch: Batch, done: () => void): void {
    const handle = this.#handle;
    if (handle === undefined) {
      this.#batchFailed(batch, new Error("journal handle is not open"));
      done();
      return;
    }
    const text = batch.lines.join("");
    writeAll(handle.fd, Buffer.from(this.#needsNewline ? `\n${text}` : text, "utf8"), (error) => {
      if (error) {
        this.#batchFailed(batch, error);
      } else {
        this.#needsNewline = false;
        this.#writes++;
        if (this.#sync) this.#syncs++;
        this.#journalRecords += batch.lines.length;
        batch.resolve();
      }
      done();
    });
  }

  #batchFailed(batch: Batch, error: unknown): void {
    this.#fail(leaseIoError("append to the lease journal", this.path, error));
    batch.reject(this.#failure);
  }

  /**
   * Stops accepting changes after a failed write or fsync: after a failed fsync Linux may have
   * dropped the dirty pages, so retrying could report a durability that does not exist. Reads keep
   * working; reopening replays what really is on disk.
   */
  #fail(error: LeaseStoreError): void {
    if (this.#failure !== undefined) return;
    this.#failure = new LeaseStoreError(
      "SITEBOOT_ERR_LEASES_FAILED",
      `${error.message}; the lease store refuses changes until it is reopened`,
      {
        path: error.path ?? this.path,
        ...(error.osCode === undefined ? {} : { osCode: error.osCode }),
        cause: error,
      },
    );
    this.#batch.reject(this.#failure);
    this.#batch = new Batch();
    const waiters = this.#compactWaiters;
    this.#compactWaiters = [];
    this.#compactRequested = false;
    for (const waiter of waiters) waiter.reject(this.#failure);
  }

  // ── compaction ──────────────────────────────────────────────────────────────────────────────

  async #runCompaction(): Promise<void> {
    const waiters = this.#compactWaiters;
    this.#compactWaiters = [];
    this.#compactRequested = false;
    try {
      const kept = await this.#compactNow();
      if (kept !== undefined) {
        this.#onWarning(
          `lease store: kept a copy of the damaged journal ${this.path} as ${kept} before compacting`,
        );
      }
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      if (waiters.length === 0) this.#onWarning(error instanceof Error ? error.message : String(error));
      for (const waiter of waiters) waiter.reject(error);
    }
  }

  /**
   * Rewrites the journal to the live rows. The snapshot is taken synchronously, so it holds every
   * change queued so far: those changes' batch resolves once the rename is durable. Changes made
   * during the compaction queue up and are appended to the new file afterwards.
   */
  async #compactNow(): Promise<string | undefined> {
    // Keep the damaged original first; if that fails the journal stays untouched.
    const kept = this.#damaged ? await this.#preserveDamaged() : undefined;
    this.#damaged = false;
    const covered = this.#batch;
    this.#batch = new Batch();
    const lines: string[] = [];
    for (const lease of this.#index.values()) lines.push(`${encodePut(lease)}\n`);
    const data = Buffer.from(lines.join(""), "utf8");
    try {
      await writeFileDurably(this.#tmpPath, data, { sync: this.#sync }).catch((error: unknown) => {
        throw leaseIoError("write the compacted journal", this.#tmpPath, error);
      });
      await rename(this.#tmpPath, this.path).catch((error: unknown) => {
        throw leaseIoError(`rename ${this.#tmpPath} over`, this.path, error);
      });
    } catch (error) {
      // The journal is untouched and still authoritative: append what the snapshot covered.
      await unlink(this.#tmpPath).catch(() => {});
      this.#sinceCompact = 0; // back off: try again after another compactEvery appends
      if (covered.lines.length > 0) await new Promise<void>((resolve) => this.#writeBatch(covered, resolve));
      throw error;
    }
    // The rename happened: from here on only the new file counts.
    try {
      if (this.#sync) await this.#syncDir();
      const previous = this.#handle;
      this.#handle = await open(this.path, this.#appendFlags(), LEASE_FILE_MODE).catch((error: unknown) => {
        throw leaseIoError("reopen the compacted lease journal", this.path, error);
      });
      await previous?.close().catch(() => {});
    } catch (error) {
      const failure = leaseIoError("finish compacting", this.path, error);
      this.#fail(failure);
      covered.reject(this.#failure);
      throw this.#failure;
    }
    this.#compactions++;
    this.#journalRecords = lines.length;
    this.#sinceCompact = 0;
    this.#needsNewline = false;
    covered.resolve();
    return kept;
  }

  /**
   * The journal is opened O_DSYNC when durability is on: each write returns once its data is on
   * disk (what write + fdatasync give), in one system call and one thread-pool job per batch.
   */
  #appendFlags(): number {
    return constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (this.#sync ? constants.O_DSYNC : 0);
  }

  async #syncDir(): Promise<void> {
    await syncDirectory(this.dir).catch((error: unknown) => {
      throw leaseIoError("fsync the lease directory", this.dir, error);
    });
  }

  // ── close ───────────────────────────────────────────────────────────────────────────────────

  async #shutdown(): Promise<void> {
    if (this.#phase === "opening") await this.#openResult?.catch(() => {});
    if (this.#phase === "open") this.#phase = "closing";
    if (this.#draining) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    const handle = this.#handle;
    this.#handle = undefined;
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

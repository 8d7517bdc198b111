import type { FileHandle } from "node:fs/promises";
import { CommitBatch } from "./commit-batch.js";
import { writeAll } from "./durable-fs.js";
import type { JournalFiles } from "./journal-files.js";
import type { ReplayResult } from "./journal-replay.js";
import type { LeaseIndex } from "./lease-index.js";
import { encodePut } from "./lease-record.js";
import { LeaseStoreError, leaseIoError } from "./lease-store-error.js";

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

export interface JournalWriterOptions {
  /** Appends between automatic compactions. */
  readonly compactEvery: number;
  /** Least time between the starts of two durable writes, in ms. */
  readonly commitIntervalMs: number;
  /** Problems found in the background (an automatic compaction that failed). */
  readonly onWarning: (message: string) => void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The journal's single writer: queued lines are appended in batches (group commit), compactions
 * rewrite the file to the index's live rows between two batches, and the first failed write or
 * fsync stops every later change. The index is the store's: reads see a change before it is written.
 */
export class JournalWriter {
  readonly #files: JournalFiles;
  readonly #index: LeaseIndex;
  readonly #compactEvery: number;
  readonly #commitIntervalMs: number;
  readonly #onWarning: (message: string) => void;
  /** performance.now() when the last durable write started. */
  #lastWriteStart = Number.NEGATIVE_INFINITY;

  #handle: FileHandle | undefined;
  /** Set by the first failed write or fsync: the file may hold a torn line, so stop changing it. */
  #failure: LeaseStoreError | undefined;

  #batch = new CommitBatch();
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

  constructor(files: JournalFiles, index: LeaseIndex, options: JournalWriterOptions) {
    this.#files = files;
    this.#index = index;
    this.#compactEvery = options.compactEvery;
    this.#commitIntervalMs = options.commitIntervalMs;
    this.#onWarning = options.onWarning;
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

  /** Why changes are refused, once a write, an fsync or a compaction's last step failed. */
  get failure(): LeaseStoreError | undefined {
    return this.#failure;
  }

  /** A batch or a compaction is queued or in flight. */
  get writing(): boolean {
    return this.#draining;
  }

  /** Resolves once nothing is queued or in flight any more. */
  whenIdle(): Promise<void> {
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Takes the journal, opened for appending, to write to. */
  attach(handle: FileHandle): void {
    this.#handle = handle;
  }

  /** Gives the journal's handle back for closing; later batches fail. */
  detach(): FileHandle | undefined {
    const handle = this.#handle;
    this.#handle = undefined;
    return handle;
  }

  /** Takes over the state of the journal as the replay at open found it (the index holds its leases). */
  continueAfter(replay: ReplayResult): void {
    this.#journalRecords = replay.records;
    this.#sinceCompact = replay.records - this.#index.size;
    // Until a copy is kept, the damaged lines stay in the journal: nothing is ever dropped unseen.
    this.#damaged = replay.corruptLines > 0;
    this.#needsNewline = replay.unterminated;
  }

  // ── appends and group commit ────────────────────────────────────────────────────────────────

  /** Queues one line for the next batch; the hot path does no I/O itself. */
  append(line: string): Promise<void> {
    const batch = this.#batch;
    batch.lines.push(`${line}\n`);
    this.#appends++;
    if (++this.#sinceCompact >= this.#compactEvery) this.#compactRequested = true;
    this.#kick();
    return batch.promise;
  }

  /** Queues a compaction between two batches; resolves when it is durable. */
  compact(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#compactWaiters.push({ resolve, reject });
      this.#compactRequested = true;
      this.#kick();
    });
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
    this.#batch = new CommitBatch();
    this.#writeBatch(batch, () => this.#drain());
  }

  #idle(): void {
    this.#draining = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Appends the batch durably, settles its promise, then calls `done`. */
  #writeBatch(batch: CommitBatch, done: () => void): void {
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
        if (this.#files.sync) this.#syncs++;
        this.#journalRecords += batch.lines.length;
        batch.resolve();
      }
      done();
    });
  }

  #batchFailed(batch: CommitBatch, error: unknown): void {
    this.#fail(leaseIoError("append to the lease journal", this.#files.path, error));
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
        path: error.path ?? this.#files.path,
        ...(error.osCode === undefined ? {} : { osCode: error.osCode }),
        cause: error,
      },
    );
    this.#batch.reject(this.#failure);
    this.#batch = new CommitBatch();
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
      const kept = await this.compactNow();
      if (kept !== undefined) {
        this.#onWarning(
          `lease store: kept a copy of the damaged journal ${this.#files.path} as ${kept} before compacting`,
        );
      }
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      if (waiters.length === 0) this.#onWarning(error instanceof Error ? error.message : String(error));
      for (const waiter of waiters) waiter.reject(error);
    }
  }

  /**
   * Rewrites the journal to the live rows; returns the path of the copy kept of a damaged journal.
   * The snapshot is taken synchronously, so it holds every change queued so far: those changes'
   * batch resolves once the rename is durable. Changes made during the compaction queue up and are
   * appended to the new file afterwards. Outside the writer's own turn, only at open.
   */
  async compactNow(): Promise<string | undefined> {
    // Keep the damaged original first; if that fails the journal stays untouched.
    const kept = this.#damaged ? await this.#files.keepDamagedCopy() : undefined;
    this.#damaged = false;
    const covered = this.#batch;
    this.#batch = new CommitBatch();
    const lines: string[] = [];
    for (const lease of this.#index.values()) lines.push(`${encodePut(lease)}\n`);
    const data = Buffer.from(lines.join(""), "utf8");
    try {
      await this.#files.replaceJournal(data);
    } catch (error) {
      // The journal is untouched and still authoritative: append what the snapshot covered.
      this.#sinceCompact = 0; // back off: try again after another compactEvery appends
      if (covered.lines.length > 0) await new Promise<void>((resolve) => this.#writeBatch(covered, resolve));
      throw error;
    }
    // The rename happened: from here on only the new file counts.
    try {
      if (this.#files.sync) await this.#files.syncDir();
      const previous = this.#handle;
      this.#handle = await this.#files.openForAppending("reopen the compacted lease journal");
      await previous?.close().catch(() => {});
    } catch (error) {
      const failure = leaseIoError("finish compacting", this.#files.path, error);
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
}

import type { EventSink } from "../../observe/events.js";
import type { Lease } from "./lease.js";

export { FileLeaseStore, type FileLeaseStoreOptions, type FileLeaseStoreStats } from "./file-lease-store.js";
export type { Lease, LeaseState } from "./lease.js";
export { LeaseStoreError, type LeaseStoreErrorCode } from "./lease-store-error.js";
export { MemoryLeaseStore } from "./memory-lease-store.js";
export { readLeaseJournal } from "./read-lease-journal.js";

/**
 * Where leases live (Kea's lease manager is the model). Reads are synchronous from memory; every
 * change resolves only once it is durable, so the server can send the ACK after awaiting put().
 */
export interface LeaseStore {
  /** Loads state (replays the journal). Returns the warnings (e.g. a corrupt line skipped). */
  open(): Promise<{ readonly warnings: readonly string[] }>;
  byAddress(address: number): Lease | undefined;
  /** The client's most recent lease (any state): the latest start, ties to the last written. */
  byClient(clientKey: string): Lease | undefined;
  /** Every lease, as a snapshot: the caller may put or delete while iterating. */
  all(): IterableIterator<Lease>;
  readonly size: number;
  /**
   * False while the store cannot decide on current leases: its database not reached yet since
   * start, or another server sharing it is the active one (a hot standby). The DHCP service then
   * answers nothing. Absent means always serving.
   */
  readonly serving?: boolean;
  /**
   * False while the store's database cannot be reached (at start, or after a lost connection):
   * the box is then unhealthy. Absent for stores without one.
   */
  readonly connected?: boolean;
  /**
   * A store with its own events (PostgreSQL: the connection, lost races) sends them to `sink`,
   * starting with its state now; returns the function that stops it.
   */
  reportTo?(sink: EventSink): () => void;
  /**
   * A store shared with other servers (PostgreSQL) calls `listener` for each write another server
   * made that reached this one's cache: the lease now, or undefined when its row was deleted, with
   * the lease cached before. Returns the function that stops it.
   */
  onRemoteWrite?(listener: (lease: Lease | undefined, previous: Lease | undefined) => void): () => void;
  /**
   * Records a new state for lease.address. Reads see it at once; the promise resolves only when
   * it is durable (fsync'd for the file backend). Concurrent calls share one fsync (group commit).
   */
  put(lease: Lease): Promise<void>;
  /** Forgets an address entirely (durable). */
  delete(address: number): Promise<void>;
  /** Rewrites storage to the current state only (file: new file, fsync, rename, fsync dir). */
  compact(): Promise<void>;
  /** Flushes pending writes and closes; idempotent. */
  close(): Promise<void>;
}

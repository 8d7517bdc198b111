import { copyLease, type Lease, leaseProblem } from "./lease.js";
import { LeaseIndex } from "./lease-index.js";
import type { LeaseStore } from "./lease-store.js";
import { LeaseStoreError } from "./lease-store-error.js";

/** Leases in memory only: for tests, and for a lab that accepts losing leases on restart. */
export class MemoryLeaseStore implements LeaseStore {
  readonly #index = new LeaseIndex();
  #closed = false;

  async open(): Promise<{ readonly warnings: readonly string[] }> {
    this.#closed = false;
    return { warnings: [] };
  }

  get size(): number {
    return this.#index.size;
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

  put(lease: Lease): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    const problem = leaseProblem(lease);
    if (problem !== undefined) {
      return Promise.reject(new LeaseStoreError("SITEBOOT_ERR_LEASES_INVALID", `lease store: ${problem}`));
    }
    this.#index.set(copyLease(lease));
    return Promise.resolve();
  }

  delete(address: number): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.#index.delete(address);
    return Promise.resolve();
  }

  async compact(): Promise<void> {
    if (this.#closed) throw closedError();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

function closedError(): LeaseStoreError {
  return new LeaseStoreError("SITEBOOT_ERR_LEASES_NOT_OPEN", "lease store: the memory store is closed");
}

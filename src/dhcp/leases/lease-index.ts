import type { Lease } from "./lease.js";

/**
 * The in-memory state every backend serves reads from: one lease per address, and per client the
 * addresses it holds rows for, so `byClient` is a lookup and not a scan.
 */
export class LeaseIndex {
  readonly #byAddress = new Map<number, Lease>();
  /**
   * clientKey → addresses, in write order (an address is moved to the end when rewritten). Nearly
   * every client holds one address, kept as a plain number: a Set per client would cost ~100
   * bytes each, a megabyte per 10,000 leases.
   */
  readonly #byClient = new Map<string, number | Set<number>>();

  get size(): number {
    return this.#byAddress.size;
  }

  get(address: number): Lease | undefined {
    return this.#byAddress.get(address);
  }

  /**
   * The client's most recent lease in any state: the latest `start`, and among equal starts the
   * one written last. Not simply the last written, because the server also rewrites old rows
   * (an expiry reclaim) after the client got a newer lease.
   */
  byClient(clientKey: string): Lease | undefined {
    const addresses = this.#byClient.get(clientKey);
    if (addresses === undefined) return undefined;
    if (typeof addresses === "number") return this.#byAddress.get(addresses);
    let best: Lease | undefined;
    for (const address of addresses) {
      const lease = this.#byAddress.get(address);
      if (lease !== undefined && (best === undefined || lease.start >= best.start)) best = lease;
    }
    return best;
  }

  /** Every lease, in the order their rows were last written. */
  values(): IterableIterator<Lease> {
    return this.#byAddress.values();
  }

  /** The current leases, unaffected by later changes (a put moves its row to the end of `values`). */
  snapshot(): IterableIterator<Lease> {
    return Array.from(this.#byAddress.values()).values();
  }

  set(lease: Lease): void {
    const previous = this.#byAddress.get(lease.address);
    if (previous !== undefined && previous.clientKey !== lease.clientKey) {
      this.#forgetClientAddress(previous.clientKey, lease.address);
    }
    // Re-insert so iteration follows write order: a compaction writes rows in this order, and the
    // replay then rebuilds the same tie-break order for byClient.
    this.#byAddress.delete(lease.address);
    this.#byAddress.set(lease.address, lease);
    const addresses = this.#byClient.get(lease.clientKey);
    if (addresses === undefined || addresses === lease.address) {
      this.#byClient.set(lease.clientKey, lease.address);
    } else if (typeof addresses === "number") {
      this.#byClient.set(lease.clientKey, new Set([addresses, lease.address]));
    } else {
      addresses.delete(lease.address);
      addresses.add(lease.address);
    }
  }

  delete(address: number): boolean {
    const previous = this.#byAddress.get(address);
    if (previous === undefined) return false;
    this.#byAddress.delete(address);
    this.#forgetClientAddress(previous.clientKey, address);
    return true;
  }

  clear(): void {
    this.#byAddress.clear();
    this.#byClient.clear();
  }

  #forgetClientAddress(clientKey: string, address: number): void {
    const addresses = this.#byClient.get(clientKey);
    if (addresses === undefined) return;
    if (typeof addresses === "number") {
      if (addresses === address) this.#byClient.delete(clientKey);
      return;
    }
    addresses.delete(address);
    if (addresses.size === 1) this.#byClient.set(clientKey, addresses.values().next().value as number);
  }
}

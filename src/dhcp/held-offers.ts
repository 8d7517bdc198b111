/**
 * Offers held in memory (RFC 2131 §4.3.1: the server should not offer an address it offered to
 * another client in the meantime): by address, and each client's current offer. A client has at
 * most one offer; offers are keyed by the client's lease key.
 */

export interface HeldOffer {
  readonly clientKey: string;
  readonly expiresAt: number;
}

export class HeldOffers {
  readonly #byAddress = new Map<number, HeldOffer>();
  readonly #byClient = new Map<string, number>();

  get size(): number {
    return this.#byAddress.size;
  }

  at(address: number): HeldOffer | undefined {
    return this.#byAddress.get(address);
  }

  /** The address offered to this client, if it still holds one. */
  of(clientKey: string): number | undefined {
    return this.#byClient.get(clientKey);
  }

  /** Holds `address` for the client until `expiresAt`, replacing the client's earlier offer. */
  hold(address: number, clientKey: string, expiresAt: number): void {
    const previous = this.#byClient.get(clientKey);
    if (previous !== undefined && previous !== address) this.drop(previous);
    this.#byAddress.set(address, { clientKey, expiresAt });
    this.#byClient.set(clientKey, address);
  }

  drop(address: number): void {
    const offer = this.#byAddress.get(address);
    if (!offer) return;
    this.#byAddress.delete(address);
    if (this.#byClient.get(offer.clientKey) === address) this.#byClient.delete(offer.clientKey);
  }

  /** Forgets the client's offer (it chose another server, or took a lease). */
  dropOf(clientKey: string): void {
    const address = this.#byClient.get(clientKey);
    if (address !== undefined) this.drop(address);
  }

  /** Forgets offers whose hold time has passed. */
  sweep(now: number): void {
    for (const [address, offer] of this.#byAddress) {
      if (offer.expiresAt <= now) this.drop(address);
    }
  }
}

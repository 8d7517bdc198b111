/**
 * Values derived from keys that repeat (zone names, journal texts, option values, client
 * addresses): computed once and shared after. Once it holds `limit` entries it starts over, so keys
 * that never repeat cannot make it grow without bound.
 */
export class BoundedMemo<K, V> {
  readonly #values = new Map<K, V>();
  readonly #limit: number;
  readonly #compute: (key: K) => V;

  constructor(limit: number, compute: (key: K) => V) {
    this.#limit = limit;
    this.#compute = compute;
  }

  get(key: K): V {
    const known = this.#values.get(key);
    if (known !== undefined) return known;
    const value = this.#compute(key);
    if (this.#values.size >= this.#limit) this.#values.clear();
    this.#values.set(key, value);
    return value;
  }

  get size(): number {
    return this.#values.size;
  }
}

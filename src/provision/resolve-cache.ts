import { readdir } from "node:fs/promises";
import { pathUnder, type Resolved, resolveInRoot } from "./path-guard.js";

const NOT_FOUND: Resolved = Object.freeze({ ok: false, reason: "not-found", message: "no such file" });

/**
 * Recent answers of resolveInRoot, each trusted for `validMs` (as nginx's open_file_cache_valid):
 * without it every request for a phone's rendered file costs a realpath of its name (which is not
 * on disk) and a realpath and stat of its template, all on the thread pool. A name is first looked
 * up in its folder's listing (read once per `validMs` too), so a lab's worth of phones asking for
 * files that exist only as templates costs one readdir, not a realpath each. A file added,
 * removed, changed or re-linked on disk is seen within `validMs`. Concurrent requests for one name
 * share one resolution. Entries past `maxEntries` go oldest first.
 */
export class ResolveCache {
  readonly #root: string;
  readonly #names: Recent<Resolved>;
  /** Folder listings by "/"-joined path; undefined when the folder could not be read (then no shortcut). */
  readonly #listings: Recent<Set<string> | undefined>;

  constructor(root: string, validMs = 1000, maxEntries = 8192) {
    this.#root = root;
    this.#names = new Recent(validMs, maxEntries);
    this.#listings = new Recent(validMs, maxEntries);
  }

  /** `segments` as checked by checkName; `relative` is their "/"-joined form (the key). */
  resolve(segments: readonly string[], relative: string): Promise<Resolved> {
    return this.#names.get(relative, () => this.#lookup(segments));
  }

  async #lookup(segments: readonly string[]): Promise<Resolved> {
    const name = segments.at(-1);
    if (name !== undefined) {
      const names = await this.#listing(segments.slice(0, -1));
      if (names && !names.has(name)) return NOT_FOUND;
    }
    return resolveInRoot(this.#root, segments);
  }

  #listing(folder: readonly string[]): Promise<Set<string> | undefined> {
    return this.#listings.get(folder.join("/"), () =>
      readdir(pathUnder(this.#root, folder)).then(
        (entries) => new Set(entries),
        // A folder that is not there (or not a folder) holds nothing; other errors: no shortcut.
        (error: NodeJS.ErrnoException) =>
          error.code === "ENOENT" || error.code === "ENOTDIR" ? new Set<string>() : undefined,
      ),
    );
  }
}

/** Promises by key, each kept for `validMs` after it was made; at most `maxEntries`, oldest out first. */
class Recent<V> {
  readonly #validMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { readonly at: number; readonly value: Promise<V> }>();

  constructor(validMs: number, maxEntries: number) {
    this.#validMs = validMs;
    this.#maxEntries = maxEntries;
  }

  get(key: string, make: () => Promise<V>): Promise<V> {
    const now = performance.now();
    const hit = this.#entries.get(key);
    if (hit && now - hit.at < this.#validMs) return hit.value;
    if (hit) this.#entries.delete(key);
    else if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const value = make();
    this.#entries.set(key, { at: now, value });
    return value;
  }
}

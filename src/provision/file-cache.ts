import { readFile } from "node:fs/promises";

/**
 * Contents of the files phones fetch, kept in memory so a transfer reads no file per block: a lab
 * boots many phones of one model at once, and they all fetch the same firmware and configs. An
 * entry is valid for the file's size and modification time; the least recently used go first once
 * the bytes held pass the limit.
 */
export class FileCache {
  readonly #maxFileBytes: number;
  readonly #maxTotalBytes: number;
  readonly #entries = new Map<string, { key: string; bytes: Promise<Buffer>; size: number }>();
  #total = 0;

  constructor(maxFileBytes = 16 * 1024 * 1024, maxTotalBytes = 128 * 1024 * 1024) {
    this.#maxFileBytes = maxFileBytes;
    this.#maxTotalBytes = maxTotalBytes;
  }

  /** The file's bytes, read once per version; undefined for a file too large to keep. */
  get(path: string, size: number, mtimeMs: number): Promise<Buffer> | undefined {
    if (size > this.#maxFileBytes) return undefined;
    const key = `${size}:${mtimeMs}`;
    const hit = this.#entries.get(path);
    if (hit && hit.key === key) {
      this.#entries.delete(path);
      this.#entries.set(path, hit);
      return hit.bytes;
    }
    if (hit) this.#drop(path);
    const bytes = readFile(path);
    // A failed read is not kept: the next request tries again.
    bytes.catch(() => this.#entries.get(path)?.bytes === bytes && this.#drop(path));
    this.#entries.set(path, { key, bytes, size });
    this.#total += size;
    for (const oldest of this.#entries.keys()) {
      if (this.#total <= this.#maxTotalBytes || oldest === path) break;
      this.#drop(oldest);
    }
    return bytes;
  }

  #drop(path: string): void {
    const entry = this.#entries.get(path);
    if (!entry) return;
    this.#entries.delete(path);
    this.#total -= entry.size;
  }
}

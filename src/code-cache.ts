/**
 * V8's code cache for the bundled program, checked against the exact source: V8 itself compares
 * only the source's length, so the cache file starts with a checksum of the source it was made
 * from and is not offered for any other. See src/launcher.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";

/** How the start went, for the appliance's start-up report. */
export type CodeCacheState = "used" | "rejected" | "stale" | "absent";
export const CODE_CACHE_STATE = Symbol.for("siteboot.codeCache");

const NEWLINE = 0x0a;

/** FNV-1a over the UTF-16 code units: a few milliseconds for the whole program. */
export function sourceChecksum(source: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    hash ^= source.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `fnv1a32:${(hash >>> 0).toString(16).padStart(8, "0")}:${source.length}`;
}

/** The cache file: one header line naming the source's checksum, then V8's bytes. */
export function readCodeCache(cacheFile: string, source: string): { data?: Buffer; state: CodeCacheState } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return { state: "absent" };
  }
  const end = bytes.indexOf(NEWLINE);
  if (end === -1 || bytes.toString("latin1", 0, end) !== sourceChecksum(source)) return { state: "stale" };
  return { data: bytes.subarray(end + 1), state: "used" };
}

export function writeCodeCache(cacheFile: string, source: string, data: Buffer): void {
  writeFileSync(cacheFile, Buffer.concat([Buffer.from(`${sourceChecksum(source)}\n`, "latin1"), data]));
}

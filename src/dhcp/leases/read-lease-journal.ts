import { readFile } from "node:fs/promises";
import { replayJournal } from "./journal-replay.js";
import type { Lease } from "./lease.js";
import { LeaseIndex } from "./lease-index.js";
import { leaseIoError } from "./lease-store-error.js";

/**
 * Reads a journal without taking its lock or changing anything: for tools that list leases while
 * the service runs. A missing file reads as no leases.
 */
export async function readLeaseJournal(
  file: string,
): Promise<{ readonly leases: readonly Lease[]; readonly warnings: readonly string[] }> {
  const data = await readJournalFile(file);
  if (data === undefined) return { leases: [], warnings: [] };
  const index = new LeaseIndex();
  const { warnings } = replayJournal(data, file, index);
  return { leases: [...index.values()], warnings };
}

/** The journal's bytes, or undefined when there is no journal yet. */
export async function readJournalFile(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw leaseIoError("read the lease journal", file, error);
  }
}

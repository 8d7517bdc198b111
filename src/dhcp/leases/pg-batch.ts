/**
 * The PostgreSQL store's queue of changes waiting for a commit, how a batch of them is cut into
 * statements, and which failures mean the database is gone.
 */
import { LeaseStoreError } from "./lease-store-error.js";
import type { PendingPut } from "./pg-rows.js";

/** A change waiting for its commit, with the caller's promise. */
export interface Waiting {
  readonly op: PendingPut | { readonly deleteAddress: number };
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Splits a batch into runs one statement can commit: puts of distinct addresses (ON CONFLICT may
 * touch a row once per statement), and each delete on its own, in the order they were made.
 */
export function segments(batch: Waiting[]): Waiting[][] {
  const runs: Waiting[][] = [];
  let run: Waiting[] = [];
  let addresses = new Set<number>();
  for (const waiting of batch) {
    const op = waiting.op;
    const isDelete = "deleteAddress" in op;
    if (isDelete || addresses.has(op.lease.address)) {
      if (run.length > 0) runs.push(run);
      run = [];
      addresses = new Set();
    }
    if (isDelete) {
      runs.push([waiting]);
      continue;
    }
    run.push(waiting);
    addresses.add(op.lease.address);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** A failure that means the connection (or the server) is gone, rather than a refused statement. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return true;
  // SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart).
  return code.startsWith("08") || code.startsWith("57P") || /^E[A-Z]+$/.test(code);
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && code.length > 0 ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** What a failed statement or connection becomes for the caller; `where` names the database. */
export function unavailableError(where: string, error: unknown): LeaseStoreError {
  return new LeaseStoreError(
    "SITEBOOT_ERR_LEASES_UNAVAILABLE",
    `lease store: cannot use ${where}: ${describeError(error)}`,
    { cause: error },
  );
}

/** The URL without its password. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*):[^@/]*@/, "$1:***@");
}

/** The lease store's coded errors: every message names the file or database it concerns. */

export type LeaseStoreErrorCode =
  /** A filesystem operation failed (permission, read-only, disk full, I/O error…). */
  | "SITEBOOT_ERR_LEASES_IO"
  /** The journal was written by a newer siteboot; it is left untouched. */
  | "SITEBOOT_ERR_LEASES_NEWER_FORMAT"
  /** put() was given something that is not a lease. */
  | "SITEBOOT_ERR_LEASES_INVALID"
  /** The store is not open (open() not called yet, or close() called). */
  | "SITEBOOT_ERR_LEASES_NOT_OPEN"
  /** Another live process (or another store in this one) holds the journal's lock file. */
  | "SITEBOOT_ERR_LEASES_LOCKED"
  /** An earlier write or fsync failed; the store refuses changes until it is reopened. */
  | "SITEBOOT_ERR_LEASES_FAILED"
  /** The database is unreachable: nothing is committed until the store has reconnected. */
  | "SITEBOOT_ERR_LEASES_UNAVAILABLE"
  /** Another server holds the address (shared database): the put was refused, the cache refreshed. */
  | "SITEBOOT_ERR_LEASES_CONFLICT";

export class LeaseStoreError extends Error {
  override readonly name = "LeaseStoreError";
  readonly code: LeaseStoreErrorCode;
  /** The file or directory concerned, when there is one. */
  readonly path: string | undefined;
  /** The operating-system error code (EACCES, EROFS, ENOSPC…), when the cause was one. */
  readonly osCode: string | undefined;

  constructor(
    code: LeaseStoreErrorCode,
    message: string,
    options: { path?: string; osCode?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.osCode = options.osCode;
  }
}

const OS_HINTS: Readonly<Record<string, string>> = {
  EACCES: "permission denied, the service user needs write access to this directory and file",
  EPERM: "operation not permitted, check ownership and file attributes",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "a component of the path is not a directory",
  EISDIR: "the path is a directory, a file was expected",
  EIO: "I/O error reported by the device",
  EFBIG: "the file size limit was reached (ulimit -f or the file system maximum)",
  EMFILE: "too many open files in this process",
};

function osCodeOf(cause: unknown): string | undefined {
  if (typeof cause === "object" && cause !== null && "code" in cause) {
    const code = (cause as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Wraps a filesystem failure as `lease store: cannot <operation> <path>: <hint> (<CODE>)`. */
export function leaseIoError(operation: string, path: string, cause: unknown): LeaseStoreError {
  if (cause instanceof LeaseStoreError) return cause;
  const osCode = osCodeOf(cause);
  const detail =
    osCode !== undefined && OS_HINTS[osCode] !== undefined
      ? `${OS_HINTS[osCode]} (${osCode})`
      : cause instanceof Error
        ? cause.message
        : String(cause);
  return new LeaseStoreError(
    "SITEBOOT_ERR_LEASES_IO",
    `lease store: cannot ${operation} ${path}: ${detail}`,
    {
      path,
      ...(osCode === undefined ? {} : { osCode }),
      cause,
    },
  );
}

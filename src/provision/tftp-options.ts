/**
 * Option negotiation for a read request: blksize (RFC 2348), tsize (RFC 2349), timeout (RFC 2349)
 * and windowsize (RFC 7440). Options the server does not know, or values out of range, are left
 * out of the OACK, which RFC 2347 allows; the client then uses the default for them.
 */

export interface TftpLimits {
  /** Largest block the server agrees to (the client may ask for less). */
  readonly maxBlockSize: number;
  /** Largest window the server agrees to (1: plain lock-step). */
  readonly maxWindowSize: number;
  /** Retransmission timeout when the client names none, in milliseconds. */
  readonly timeoutMs: number;
}

export interface Negotiated {
  readonly blockSize: number;
  readonly windowSize: number;
  readonly timeoutMs: number;
  /** The options to acknowledge (an empty map: send no OACK, start with DATA 1). */
  readonly oack: ReadonlyMap<string, string>;
}

const DEFAULT_BLOCK_SIZE = 512;
/** RFC 2348's range for blksize. */
const MIN_BLOCK_SIZE = 8;
export const MAX_BLOCK_SIZE = 65464;
const MAX_WINDOW_SIZE = 65535;

export function negotiate(
  requested: ReadonlyMap<string, string>,
  fileSize: number,
  limits: TftpLimits,
): Negotiated {
  const oack = new Map<string, string>();
  let blockSize = DEFAULT_BLOCK_SIZE;
  let windowSize = 1;
  let timeoutMs = limits.timeoutMs;

  const blksize = integer(requested.get("blksize"));
  if (blksize !== undefined && blksize >= MIN_BLOCK_SIZE) {
    blockSize = Math.min(blksize, limits.maxBlockSize, MAX_BLOCK_SIZE);
    oack.set("blksize", String(blockSize));
  }
  const timeout = integer(requested.get("timeout"));
  if (timeout !== undefined && timeout >= 1 && timeout <= 255) {
    timeoutMs = timeout * 1000;
    oack.set("timeout", String(timeout));
  }
  // In a read request the client sends tsize 0 and the server answers with the size.
  if (requested.has("tsize") && integer(requested.get("tsize")) !== undefined) {
    oack.set("tsize", String(fileSize));
  }
  const windowsize = integer(requested.get("windowsize"));
  if (windowsize !== undefined && windowsize >= 1) {
    windowSize = Math.min(windowsize, limits.maxWindowSize, MAX_WINDOW_SIZE);
    oack.set("windowsize", String(windowSize));
  }
  return { blockSize, windowSize, timeoutMs, oack };
}

/** A decimal option value; undefined for anything else (signs, spaces, hex, over 10 digits). */
function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  return Number(text);
}

/** Longest pause between two connection attempts (unless `reconnectInterval` is longer). */
export const RECONNECT_MAX_MS = 30_000;
/** Failed attempts logged one by one; after them only a new cause is. */
export const ATTEMPTS_LOGGED = 3;

/**
 * When the PostgreSQL store tries the database again, and which failed attempts are worth a log
 * line: the first pause is `reconnectInterval`, each failure doubles it up to 30 s, so a long
 * outage costs an attempt every 30 s; the first few failures are logged, then only a change of
 * cause, so a database down for a day leaves a handful of lines, not thousands.
 */
export class ReconnectSchedule {
  readonly #firstMs: number;
  readonly #where: string;
  #failures = 0;
  #cause: string | undefined;

  constructor(firstMs: number, where: string) {
    this.#firstMs = firstMs;
    this.#where = where;
  }

  /** The pause before the next attempt. */
  get delayMs(): number {
    const max = Math.max(RECONNECT_MAX_MS, this.#firstMs);
    return Math.min(this.#firstMs * 2 ** Math.min(this.#failures, 30), max);
  }

  /** How the pauses grow, for messages. */
  describe(): string {
    return this.#firstMs >= RECONNECT_MAX_MS
      ? `every ${formatMs(this.#firstMs)}`
      : `after ${formatMs(this.#firstMs)}, then at doubling intervals up to ${formatMs(RECONNECT_MAX_MS)}`;
  }

  /** The connection was lost (or not made at start) for `cause`: the attempts start over. */
  lost(cause: string): void {
    this.#failures = 0;
    this.#cause = cause;
  }

  /** An attempt failed; returns the line to log, or undefined to stay quiet. */
  failed(cause: string): string | undefined {
    this.#failures++;
    const changed = cause !== this.#cause;
    this.#cause = cause;
    if (this.#failures > ATTEMPTS_LOGGED && !changed) return undefined;
    const line = `lease store: ${this.#where} still unreachable (${cause}) after ${this.#failures} attempt${this.#failures === 1 ? "" : "s"}; next in ${formatMs(this.delayMs)}`;
    return this.#failures === ATTEMPTS_LOGGED
      ? `${line}; further attempts are logged only when the cause changes`
      : line;
  }

  /** Connected: returns the attempts it took (after the first), and starts over. */
  succeeded(): number {
    const failures = this.#failures;
    this.#failures = 0;
    this.#cause = undefined;
    return failures + 1;
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

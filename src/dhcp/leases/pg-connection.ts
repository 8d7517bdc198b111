/**
 * How the PostgreSQL store reaches the database: the settings every connection it opens shares
 * (the pool's, the listener's, the active lock's), its pool, and closing a client it no longer needs.
 */
import pg from "pg";

export interface PgConnectionOptions {
  /** postgresql://user:password@host:port/database (a Unix socket directory as %2F-encoded host). */
  readonly url: string;
  /** Most connections this store opens for writes and reloads (default 4), plus one listener. */
  readonly maxConnections?: number;
  /** Time allowed to connect, in ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Longest time one statement may run before it fails, in ms (default 10000). */
  readonly statementTimeoutMs?: number;
}

/** `origin` marks this instance's changes in their notifications. */
export function pgClientConfig(options: PgConnectionOptions, origin: string): pg.ClientConfig {
  return {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    // A database that stops answering without closing the connection (a dead network) is
    // noticed on the client side too, and handled as a lost connection.
    query_timeout: (options.statementTimeoutMs ?? 10_000) + 2000,
    application_name: "siteboot",
    keepAlive: true,
    // The notification trigger reads it to name the instance that made a change.
    options: `-c siteboot.origin=${origin}`,
  };
}

export function newPgPool(options: PgConnectionOptions, origin: string): pg.Pool {
  const pool = new pg.Pool({ ...pgClientConfig(options, origin), max: options.maxConnections ?? 4 });
  // An idle connection dropped by the server: the pool discards it; the next query reconnects.
  pool.on("error", () => {});
  return pool;
}

/** Closes a client without its "end" handler (which would report a lost connection) and without failing. */
export function endClient(client: pg.Client): Promise<void> {
  client.removeAllListeners("end");
  return client.end().catch(() => {});
}

import pg from "pg";
import { endClient } from "./pg-connection.js";

/** Any constant: the session advisory lock the active server of a hot-standby pair holds. */
const ACTIVE_LOCK = 0x51_7e_b0_08;

/**
 * Hot standby: of the servers sharing a database, the one holding a PostgreSQL session advisory
 * lock is the active one. The lock lives as long as its connection, so it is freed the moment the
 * active server dies (kill -9, a crash: the kernel closes the socket) or loses the database; the
 * standby, asking every `retryMs`, then takes it. A database restart frees it too, and whichever
 * server reconnects first becomes active.
 */
export class PgActiveLock {
  readonly #config: pg.ClientConfig;
  readonly #retryMs: number;
  readonly #onChange: (held: boolean) => void;
  #client: pg.Client | undefined;
  #held = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(config: pg.ClientConfig, retryMs: number, onChange: (held: boolean) => void) {
    this.#config = config;
    this.#retryMs = retryMs;
    this.#onChange = onChange;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Tries once now, then keeps trying in the background until closed. */
  async start(): Promise<void> {
    await this.#attempt();
  }

  async #attempt(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed) return;
    try {
      if (this.#client === undefined) {
        const client = new pg.Client(this.#config);
        client.on("error", () => this.#lost(client));
        client.on("end", () => this.#lost(client));
        this.#client = client;
        await client.connect();
      }
      const { rows } = await this.#client.query<{ held: boolean }>(
        "SELECT pg_try_advisory_lock($1) AS held",
        [ACTIVE_LOCK],
      );
      if (rows[0]?.held === true) this.#set(true);
    } catch {
      if (this.#client) this.#lost(this.#client);
    }
    if (!this.#held) this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => void this.#attempt(), this.#retryMs);
    this.#timer.unref();
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    void endClient(client);
    this.#set(false);
    this.#schedule();
  }

  #set(held: boolean): void {
    if (this.#held === held) return;
    this.#held = held;
    if (!this.#closed) this.#onChange(held);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#held = false;
    if (client) await endClient(client);
  }
}

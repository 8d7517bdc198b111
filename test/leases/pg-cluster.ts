import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * A throwaway PostgreSQL cluster for tests: initdb under a fresh temp folder, the server on a
 * Unix socket in that folder only (no TCP), stopped and removed by PID at the end. Runs as the
 * `postgres` user when the tests run as root (PostgreSQL refuses to run as root).
 */

const run = promisify(execFile);
const BIN_DIRS = ["/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/17/bin"];

/** The directory of initdb/pg_ctl, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  return BIN_DIRS.find((dir) => existsSync(join(dir, "pg_ctl")));
}

export interface PgCluster {
  /** postgresql:// URL of the `siteboot` database over the cluster's Unix socket. */
  readonly url: string;
  readonly socketDir: string;
  readonly port: number;
  /** Stops the server at once (no clean shutdown of clients: a database crash or restart). */
  stop(mode?: "immediate" | "fast"): Promise<void>;
  start(): Promise<void>;
  /** Runs SQL through psql as the superuser, in `database` (default siteboot). */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server and removes the folder. */
  destroy(): Promise<void>;
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  const dir = await mkdtemp(join(tmpdir(), "siteboot-pg-"));
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(dir, 0o700);
  const data = join(dir, "data");
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const as = (command: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", join(bin, command), ...args])
      : run(join(bin, command), args);
  await as("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const serverOptions = [
    "-c listen_addresses=''",
    `-c unix_socket_directories=${dir}`,
    `-p ${port}`,
    "-c fsync=on",
    "-c max_connections=60",
  ].join(" ");
  const start = async () => {
    await as("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-o",
      serverOptions,
      "-w",
      "-t",
      "30",
      "start",
    ]);
  };
  const stop = async (mode: "immediate" | "fast" = "immediate") => {
    await as("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "30", "stop"]).catch(() => {});
  };
  const psql = async (sql: string, database = "siteboot") => {
    const { stdout } = await run(join(bin, "psql"), [
      "-h",
      dir,
      "-p",
      String(port),
      "-U",
      "postgres",
      "-d",
      database,
      "-AtX",
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      sql,
    ]);
    return stdout.trim();
  };
  await start();
  await run(join(bin, "createdb"), ["-h", dir, "-p", String(port), "-U", "postgres", "siteboot"]);
  return {
    url: `postgresql://postgres@${encodeURIComponent(dir)}:${port}/siteboot`,
    socketDir: dir,
    port,
    stop,
    start,
    psql,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fixed CPU budget for a measured server: a cgroup of its own with a CFS quota (cgroup v1 `cpu`
 * or cgroup v2 `cpu.max`), removed again by `destroy()`. A load generator on the same 2-core
 * machine can then out-run the server, so what a benchmark measures is the server and not the
 * generator. Only this benchmark's own processes are put in the group; nothing else on the host
 * changes. `open()` returns undefined, with the reason, where the machine offers no CPU controller.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Short periods: a server throttled for a few milliseconds, not for tens, keeps its queue short. */
const PERIOD_US = 10_000;

export class CpuBudget {
  readonly #dir: string;
  readonly #pids: string;
  readonly share: number;

  private constructor(dir: string, pids: string, share: number) {
    this.#dir = dir;
    this.#pids = pids;
    this.share = share;
  }

  /** A group limited to `share` of one CPU (0 < share ≤ 1), or the reason there can be none. */
  static open(name: string, share: number): CpuBudget | string {
    if (!(share > 0 && share <= 1)) return `CPU share must be in (0, 1], got ${share}`;
    const quota = Math.round(PERIOD_US * share);
    const v1 = "/sys/fs/cgroup/cpu";
    const v2 = "/sys/fs/cgroup";
    try {
      if (existsSync(join(v1, "cpu.cfs_quota_us"))) {
        const dir = join(v1, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
        writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quota));
        return new CpuBudget(dir, join(dir, "cgroup.procs"), share);
      }
      const controllers = join(v2, "cgroup.subtree_control");
      if (existsSync(controllers) && readFileSync(controllers, "utf8").split(/\s+/).includes("cpu")) {
        const dir = join(v2, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
        return new CpuBudget(dir, join(dir, "cgroup.procs"), share);
      }
      return "no cgroup CPU controller is available to children here";
    } catch (error) {
      return `cannot create a CPU-limited cgroup: ${(error as Error).message}`;
    }
  }

  /** Moves a process, with all its threads and whatever it starts later, into the group. */
  add(pid: number): void {
    writeFileSync(this.#pids, String(pid));
  }

  /** The group's directory in the cgroup file system. */
  get directory(): string {
    return this.#dir;
  }

  /** Removes the group; its processes must have exited. */
  destroy(): void {
    try {
      rmdirSync(this.#dir);
    } catch {}
  }
}

/** USER_HZ: 100 on every Linux architecture this runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS = 100;

/** CPU time (user + system, all threads) a live process has used so far, in milliseconds. */
export function processCpuMs(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

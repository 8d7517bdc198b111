import { readFile, unlink, writeFile } from "node:fs/promises";
import { LeaseStoreError, leaseIoError } from "./lease-store-error.js";

/**
 * One writer per journal. Two processes appending to one journal would each compact away the other's
 * rows, so `<journal>.lock` names the holder: pid, plus the boot id and the process start time so a
 * lock left by a crash is recognised as stale even when its pid has been reused (after a reboot, or
 * by another program). Node has no flock(); a lock file with an exclusive create does the job.
 */

interface Holder {
  readonly pid: number;
  readonly bootId?: string;
  readonly startTime?: string;
}

export interface JournalLock {
  readonly path: string;
  release(): Promise<void>;
}

async function bootId(): Promise<string | undefined> {
  return readFile("/proc/sys/kernel/random/boot_id", "utf8").then(
    (text) => text.trim(),
    () => undefined,
  );
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot). */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ")".
  return stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .at(22 - 3);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    return typeof value.pid === "number" && Number.isInteger(value.pid) && value.pid > 0
      ? (value as Holder)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `holder` still runs (same boot, same pid, same start time). */
async function holderRuns(holder: Holder): Promise<boolean> {
  const boot = await bootId();
  if (holder.bootId !== undefined && boot !== undefined && holder.bootId !== boot) return false;
  if (!alive(holder.pid)) return false;
  if (holder.startTime !== undefined) {
    const now = await startTime(holder.pid);
    if (now !== undefined && now !== holder.startTime) return false;
  }
  return true;
}

export async function acquireJournalLock(journal: string): Promise<JournalLock> {
  const path = `${journal}.lock`;
  const me: Holder = {
    pid: process.pid,
    ...(await bootId().then((id) => (id === undefined ? {} : { bootId: id }))),
    ...(await startTime(process.pid).then((t) => (t === undefined ? {} : { startTime: t }))),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, `${JSON.stringify(me)}\n`, { flag: "wx", mode: 0o640 });
      return {
        path,
        release: async () => {
          await unlink(path).catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw leaseIoError("create the lock file", path, error);
      }
    }
    const text = await readFile(path, "utf8").catch(() => "");
    const holder = parseHolder(text);
    if (holder !== undefined && (await holderRuns(holder))) {
      throw new LeaseStoreError(
        "SITEBOOT_ERR_LEASES_LOCKED",
        `lease store: ${journal} is in use by process ${holder.pid}` +
          `${holder.pid === process.pid ? " (this process: close the other store first)" : ""}; ` +
          `only one siteboot may write a lease journal (lock file ${path})`,
        { path },
      );
    }
    // Left by a process that is gone (or unreadable): take it over.
    await unlink(path).catch(() => {});
  }
  throw new LeaseStoreError(
    "SITEBOOT_ERR_LEASES_LOCKED",
    `lease store: could not take the lock file ${path}`,
    {
      path,
    },
  );
}

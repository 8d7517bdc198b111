/** What every benchmark needs around the processes it measures. */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Resolves once `child` has written `marker` (standard output or error), which is how a server
 * says it is ready; rejects with its last output if it exits first or stays silent for 20 s.
 */
export function waitForOutput(child: ChildProcess, marker: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      // Keep draining: a child blocked on a full pipe would stall the measurement.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const onData = (chunk: Buffer | string) => {
      output += String(chunk);
      if (output.includes(marker)) {
        done();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${what} exited with ${code}: ${output.slice(-1500)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what} did not start: ${output.slice(-1500)}`));
    }, 20_000);
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 3000): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The machine's CPU time so far, in clock ticks (the first line of /proc/stat): all, idle, stolen. */
export interface CpuTimes {
  readonly total: number;
  readonly idle: number;
  readonly steal: number;
}

export function cpuTimes(): CpuTimes {
  const fields = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal (guest times are already inside user).
  return {
    total: fields.slice(0, 8).reduce((a, b) => a + b, 0),
    idle: (fields[3] ?? 0) + (fields[4] ?? 0),
    steal: fields[7] ?? 0,
  };
}

/** Share of the machine's CPU time the hypervisor gave to others between two `cpuTimes()`. */
export function stolenShare(before: CpuTimes, after = cpuTimes()): number {
  return (after.steal - before.steal) / Math.max(1, after.total - before.total);
}

/**
 * Share of the machine's CPU time used by processes other than the measured ones between two
 * `cpuTimes()`: the machine's busy time less `ownMs` (the measured processes' CPU time, ms).
 */
export function othersShare(before: CpuTimes, ownMs: number, after = cpuTimes()): number {
  const total = after.total - before.total;
  const busy = total - (after.idle - before.idle) - (after.steal - before.steal);
  return Math.max(0, busy * TICK_MS - ownMs) / Math.max(1, total * TICK_MS);
}

/** USER_HZ: 100 on every Linux architecture this runs on (sysconf(_SC_CLK_TCK)). */
const TICK_MS = 10;

/** A run whose figures would mislead (e.g. its reference failed): printed instead of a result. */
export class InvalidRun extends Error {}

/** statfs(2) magic numbers of file systems that live in memory: fsync there is free and proves nothing. */
const MEMORY_FILE_SYSTEMS = new Map([
  [0x01021994, "tmpfs"],
  [0x858458f6, "ramfs"],
]);
const KNOWN_FILE_SYSTEMS = new Map([
  [0xef53, "ext2/3/4"],
  [0x58465342, "xfs"],
  [0x9123683e, "btrfs"],
  [0x794c7630, "overlayfs"],
]);

/** What file system a directory is on, and whether a write synced there reaches a disk. */
export function fileSystemOf(dir: string): { name: string; onDisk: boolean } {
  const type = statfsSync(dir).type;
  const memory = MEMORY_FILE_SYSTEMS.get(type);
  if (memory) return { name: memory, onDisk: false };
  return { name: KNOWN_FILE_SYSTEMS.get(type) ?? `type 0x${type.toString(16)}`, onDisk: true };
}

/**
 * A fresh directory for data a benchmark claims is durable: in SITEBOOT_BENCH_DIR if set, else in
 * the first of /var/tmp, the project's tmp/ and the system's temporary directory that is not in
 * memory (the last one even if it is, with onDisk false). The caller removes it.
 */
export function durableDirectory(prefix: string): { dir: string; name: string; onDisk: boolean } {
  const project = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "tmp");
  const candidates = process.env.SITEBOOT_BENCH_DIR
    ? [process.env.SITEBOOT_BENCH_DIR]
    : ["/var/tmp", project, tmpdir()];
  for (const [i, base] of candidates.entries()) {
    const final = i === candidates.length - 1;
    try {
      mkdirSync(base, { recursive: true });
      const dir = mkdtempSync(join(base, prefix));
      const fs = fileSystemOf(dir);
      if (fs.onDisk || final) return { dir, ...fs };
      rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      // Not writable here: try the next.
      if (final) throw error;
    }
  }
  throw new Error(`no writable directory for ${prefix} among ${candidates.join(", ")}`);
}

import { type ChildProcess, spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileLeaseStore } from "../../src/dhcp/leases/lease-store.js";
import { tempDir } from "./lease-fixtures.js";

/**
 * Real crashes: a child process puts leases and prints each one after its put resolved; we kill -9
 * it at a random moment, reopen the journal and check that every acknowledged lease is there.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const child = join(here, "crash-child.ts");

interface Run {
  readonly acked: Map<number, number>;
  readonly compactions: number;
  readonly killedDuringCompaction: boolean;
}

function spawnChild(dir: string, mode: string, base: number, concurrency: number): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", child, dir, mode, String(base), String(concurrency)], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the child until `killAfterMs` after its first ack (or into its third compaction), then SIGKILL. */
function runAndKill(
  dir: string,
  mode: string,
  base: number,
  concurrency: number,
  killAfterMs: number,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawnChild(dir, mode, base, concurrency);
    const acked = new Map<number, number>();
    let buffered = "";
    let stderr = "";
    let compactions = 0;
    let inCompaction = false;
    let killedDuringCompaction = false;
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      killedDuringCompaction = inCompaction;
      proc.kill("SIGKILL");
    };
    const guard = setTimeout(kill, 20_000);
    proc.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "compact-start") {
          inCompaction = true;
          compactions++;
          // Aim the kill into a compaction: after a few of them, at a random offset into the next.
          if (compactions === 3) timer = setTimeout(kill, killAfterMs % 40);
        } else if (line === "compact-done") {
          inCompaction = false;
        } else if (line.startsWith("ack ")) {
          // Every printed line counts, even one read after the kill: it was printed after its ack.
          if (mode !== "compact" && timer === undefined) timer = setTimeout(kill, killAfterMs);
          const [, address, start] = line.split(" ");
          const a = Number(address);
          acked.set(a, Math.max(acked.get(a) ?? -1, Number(start)));
        }
      }
    });
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      clearTimeout(guard);
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== "SIGKILL") {
        reject(new Error(`child exited on its own (code ${code}, signal ${signal}): ${stderr}`));
        return;
      }
      resolve({ acked, compactions, killedDuringCompaction });
    });
  });
}

/** A deterministic random source, so a failing round can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("FileLeaseStore survives kill -9", () => {
  let dir: string;
  let remove: () => Promise<void>;
  const allAcked = new Map<number, number>();
  let killsDuringCompaction = 0;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir("siteboot-leases-crash-"));
  });
  afterAll(async () => {
    await remove();
    // The compaction rounds aim their kill into a running compaction; at least one must land there.
    expect(killsDuringCompaction).toBeGreaterThan(0);
  });

  async function verify(round: string): Promise<readonly string[]> {
    const store = new FileLeaseStore({ dir });
    const { warnings } = await store.open();
    try {
      const missing: string[] = [];
      for (const [address, start] of allAcked) {
        const found = store.byAddress(address);
        // A later unacknowledged put may also have reached the disk: never less than acked.
        if (found === undefined || found.start < start) {
          missing.push(`${address}: acked start ${start}, found ${found?.start}`);
        }
      }
      expect(missing, `${round}: acknowledged leases lost`).toEqual([]);
      for (const warning of warnings) {
        expect(warning).toMatch(/unterminated: an interrupted write|damaged line|interrupted compaction/);
      }
    } finally {
      await store.close();
    }
    return warnings;
  }

  const rand = random(0x5173b004);
  const rounds: [mode: string, concurrency: number][] = [
    ["puts", 1],
    ["puts", 16],
    ["puts", 64],
    ["puts", 1],
    ["puts", 16],
    ["compact", 8],
    ["compact", 32],
    ["compact", 8],
  ];

  it.each(rounds.map(([mode, concurrency], i) => ({ i, mode, concurrency })))(
    "round $i: $mode at concurrency $concurrency, killed at a random moment",
    async ({ i, mode, concurrency }) => {
      const killAfterMs = 20 + Math.floor(rand() * 400);
      // Each round writes its own address range; the earlier rounds' leases are checked again.
      const base = 0x0a000000 + i * 0x10000;
      const run = await runAndKill(dir, mode, base, concurrency, killAfterMs);
      for (const [address, start] of run.acked) allAcked.set(address, start);
      expect(run.acked.size, "the child acknowledged some leases before the kill").toBeGreaterThan(0);
      if (mode === "compact") expect(run.compactions).toBeGreaterThanOrEqual(3);
      const warnings = await verify(`round ${i} (${mode}, kill after ${killAfterMs} ms)`);
      if (mode === "compact" && run.killedDuringCompaction) killsDuringCompaction++;
      console.log(
        `round ${i}: ${run.acked.size} acked, killed ${run.killedDuringCompaction ? "during" : "outside"} a compaction, ` +
          `recovery warnings: ${warnings.length}`,
      );
      // Recovery leaves one journal, plus copies of damaged originals; never a stray .tmp.
      const files = await readdir(dir);
      expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    },
  );
});

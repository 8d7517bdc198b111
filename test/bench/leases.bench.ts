/**
 * Lease store: durable puts per second with group commit at concurrency 1, 16 and 64, against
 * references measured in the same run: the same appends with one write + fdatasync each (no group
 * commit), and the memory store. Each case is bounded in time and count.
 */
import { mkdtemp, open, rm, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Lease } from "../../src/dhcp/leases/lease.js";
import { encodePut } from "../../src/dhcp/leases/lease-record.js";
import { FileLeaseStore, type LeaseStore, MemoryLeaseStore } from "../../src/dhcp/leases/lease-store.js";

const CASE_MS = 500;
const CASE_MAX_PUTS = 20_000;
/** fsync latency on a shared disk drifts: interleave reference and store, keep each one's median. */
const ROUNDS = 3;
const CONCURRENCY = [1, 16, 64] as const;

let files = 0;

interface Figure {
  readonly puts: number;
  readonly seconds: number;
  readonly syncs: number;
}

function lease(n: number): Lease {
  return {
    address: 0x0a000000 + (n % 65_536),
    clientKey: `hw:1:0004f2${(n % 65_536).toString(16).padStart(6, "0")}`,
    mac: "00:04:f2:00:00:01",
    hostname: `phone-${n}`,
    vendorClass: "Polycom-CX700",
    subnet: "10.0.0.0/16",
    state: "active",
    start: 1_700_000_000_000 + n,
    expiresAt: 1_700_028_800_000 + n,
  };
}

/** `concurrency` workers each awaiting `put` in a loop, until the time or count bound. */
async function drive(
  concurrency: number,
  put: (n: number) => Promise<void>,
): Promise<{ puts: number; seconds: number }> {
  let next = 0;
  const started = performance.now();
  const deadline = started + CASE_MS;
  const worker = async () => {
    while (next < CASE_MAX_PUTS && performance.now() < deadline) await put(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { puts: next, seconds: (performance.now() - started) / 1000 };
}

async function groupCommit(dir: string, concurrency: number): Promise<Figure> {
  const store = new FileLeaseStore({
    dir,
    fileName: `group-${concurrency}-${files++}.jsonl`,
    compactEvery: 1_000_000,
  });
  await store.open();
  try {
    const result = await drive(concurrency, (n) => store.put(lease(n)));
    return { ...result, syncs: store.stats.syncs };
  } finally {
    await store.close();
  }
}

/** The reference: every put is its own write and fdatasync (what a store without group commit does). */
async function syncPerPut(dir: string, concurrency: number): Promise<Figure> {
  const handle = await open(join(dir, `naive-${concurrency}-${files++}.jsonl`), "a");
  let syncs = 0;
  try {
    const result = await drive(concurrency, async (n) => {
      await handle.write(`${encodePut(lease(n))}\n`);
      await handle.datasync();
      syncs++;
    });
    return { ...result, syncs };
  } finally {
    await handle.close();
  }
}

async function memory(concurrency: number): Promise<Figure> {
  const store: LeaseStore = new MemoryLeaseStore();
  await store.open();
  return { ...(await drive(concurrency, (n) => store.put(lease(n)))), syncs: 0 };
}

const rate = (f: Figure) => f.puts / f.seconds;
const median = (figures: readonly Figure[]): Figure =>
  [...figures].sort((a, b) => rate(a) - rate(b))[Math.floor(figures.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

export async function run(): Promise<void> {
  const base = process.env.SITEBOOT_BENCH_DIR ?? tmpdir();
  const dir = await mkdtemp(join(base, "siteboot-leases-bench-"));
  const fs = await statfs(dir);
  const fsName =
    fs.type === 0x01021994
      ? "tmpfs (fsync is free here: set SITEBOOT_BENCH_DIR to a disk)"
      : `type 0x${fs.type.toString(16)}`;
  console.log(
    `journal directory: ${dir} (${fsName}); each case ≤ ${CASE_MS} ms and ≤ ${fmt(CASE_MAX_PUTS)} puts, median of ${ROUNDS} interleaved rounds`,
  );
  try {
    const rows: string[][] = [];
    for (const concurrency of CONCURRENCY) {
      const naives: Figure[] = [];
      const groups: Figure[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        naives.push(await syncPerPut(dir, concurrency));
        groups.push(await groupCommit(dir, concurrency));
      }
      const naive = median(naives);
      const group = median(groups);
      rows.push([
        "write+fdatasync per put (reference)",
        String(concurrency),
        fmt(rate(naive)),
        (naive.puts / Math.max(1, naive.syncs)).toFixed(1),
        "1.00×",
      ]);
      rows.push([
        "FileLeaseStore, group commit",
        String(concurrency),
        fmt(rate(group)),
        (group.puts / Math.max(1, group.syncs)).toFixed(1),
        `${(rate(group) / rate(naive)).toFixed(2)}×`,
      ]);
    }
    const mem = await memory(64);
    const group64 = median([
      await groupCommit(dir, 64),
      await groupCommit(dir, 64),
      await groupCommit(dir, 64),
    ]);
    rows.push([
      "MemoryLeaseStore (no durability)",
      "64",
      fmt(rate(mem)),
      "-",
      `${(rate(mem) / rate(group64)).toFixed(1)}× group commit`,
    ]);

    const header = ["case", "concurrency", "durable puts/s", "puts per fsync", "vs reference"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
    const line = (cells: readonly string[]) =>
      `| ${cells.map((c, i) => (i >= 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
    console.log(line(header));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const row of rows) console.log(line(row));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

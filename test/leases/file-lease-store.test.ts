import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeDelete, encodePut } from "../../src/dhcp/leases/lease-record.js";
import { FileLeaseStore, LeaseStoreError, readLeaseJournal } from "../../src/dhcp/leases/lease-store.js";
import { BASE, makeLease, sortedLeases, tempDir } from "./lease-fixtures.js";

let dir: string;
let remove: () => Promise<void>;
const stores: FileLeaseStore[] = [];

beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  await remove();
});

async function openStore(
  options: {
    compactEvery?: number;
    fsync?: boolean;
    commitIntervalMs?: number;
    onWarning?: (m: string) => void;
  } = {},
) {
  const store = new FileLeaseStore({ dir, ...options });
  stores.push(store);
  const { warnings } = await store.open();
  return { store, warnings };
}

function journal(): string {
  return join(dir, "leases4.jsonl");
}

async function journalLines(): Promise<string[]> {
  const text = await readFile(journal(), "utf8");
  expect(text === "" || text.endsWith("\n")).toBe(true);
  return text.split("\n").filter((l) => l !== "");
}

describe("FileLeaseStore journal", () => {
  it("appends one versioned JSON line per change, in order", async () => {
    const { store } = await openStore();
    await store.put(makeLease(1));
    await store.put(makeLease(1, { state: "released" }));
    await store.delete(BASE + 1);
    const rows = (await journalLines()).map(
      (l) => JSON.parse(l) as { v: number; op: string; state?: string },
    );
    expect(rows.map((r) => [r.v, r.op, r.state])).toEqual([
      [1, "put", "active"],
      [1, "put", "released"],
      [1, "delete", undefined],
    ]);
  });

  it("replays the journal at open: later line wins, deletes remove", async () => {
    await writeFile(
      journal(),
      [
        encodePut(makeLease(1)),
        encodePut(makeLease(2)),
        encodePut(makeLease(1, { state: "declined", expiresAt: 5 })),
        encodeDelete(BASE + 2),
        encodePut(makeLease(3)),
        "",
      ].join("\n"),
    );
    const { store, warnings } = await openStore();
    expect(warnings).toEqual([]);
    expect(sortedLeases(store.all())).toEqual([
      makeLease(1, { state: "declined", expiresAt: 5 }),
      makeLease(3),
    ]);
  });

  it("creates a missing directory with mode 0750 and uses the file name given", async () => {
    const nested = join(dir, "var", "lib", "siteboot");
    const store = new FileLeaseStore({ dir: nested, fileName: "custom.jsonl" });
    stores.push(store);
    await store.open();
    await store.put(makeLease(9));
    expect((await stat(nested)).mode & 0o777).toBe(0o750);
    expect(await readFile(join(nested, "custom.jsonl"), "utf8")).toContain('"address":"192.168.7.9"');
  });
});

describe("FileLeaseStore group commit", () => {
  it("writes and fsyncs concurrent puts of one tick as ONE batch", async () => {
    const { store } = await openStore();
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.put(makeLease(i))));
    expect(store.stats).toMatchObject({ appends: 100, writes: 1, syncs: 1 });
    expect(await journalLines()).toHaveLength(100);
  });

  it("gives each awaited put its own fsync", async () => {
    const { store } = await openStore();
    for (let i = 0; i < 5; i++) await store.put(makeLease(i));
    expect(store.stats).toMatchObject({ appends: 5, writes: 5, syncs: 5 });
  });

  it("batches changes made while a write is in flight into the next write", async () => {
    const { store } = await openStore();
    const first = Array.from({ length: 50 }, (_, i) => store.put(makeLease(i)));
    // The writer starts in the check phase; this callback runs right after it started writing.
    const second = await new Promise<Promise<void>[]>((resolve) =>
      setImmediate(() => resolve(Array.from({ length: 50 }, (_, i) => store.put(makeLease(100 + i))))),
    );
    await Promise.all([...first, ...second]);
    expect(store.stats).toMatchObject({ appends: 100, writes: 2, syncs: 2 });
  });

  it("spaces durable writes by the commit interval under load, and writes at once when idle", async () => {
    const interval = 1500;
    const { store } = await openStore({ commitIntervalMs: interval });
    const started = performance.now();
    await store.put(makeLease(1)); // idle store: written at once
    const firstDone = performance.now() - started;
    // Made right after the first write: they wait for the interval and share one write.
    await Promise.all([store.put(makeLease(2)), store.put(makeLease(3))]);
    const secondDone = performance.now() - started;
    expect(store.stats).toMatchObject({ appends: 3, writes: 2, syncs: 2 });
    expect(firstDone).toBeLessThan(interval);
    expect(secondDone).toBeGreaterThanOrEqual(interval - 5);
    // After an idle interval the next change is written at once again.
    await new Promise((resolve) => setTimeout(resolve, interval));
    const third = performance.now();
    await store.put(makeLease(4));
    expect(performance.now() - third).toBeLessThan(interval);
    expect(store.stats).toMatchObject({ appends: 4, writes: 3 });
  });

  it("refuses a commit interval that is not a finite number ≥ 0", () => {
    for (const commitIntervalMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new FileLeaseStore({ dir, commitIntervalMs })).toThrow(/commitIntervalMs/);
    }
  });

  it("skips fdatasync when fsync is off, still one write per batch", async () => {
    const { store } = await openStore({ fsync: false });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(makeLease(i))));
    expect(store.stats).toMatchObject({ appends: 10, writes: 1, syncs: 0 });
  });

  it("flushes pending changes at close", async () => {
    const { store } = await openStore();
    const pending = store.put(makeLease(1));
    await store.close();
    await pending;
    const { store: again } = await openStore();
    expect(again.byAddress(BASE + 1)).toEqual(makeLease(1));
  });
});

describe("FileLeaseStore recovery", () => {
  async function corruptCopies(): Promise<string[]> {
    return (await readdir(dir)).filter((f) => f.startsWith("leases4.jsonl.corrupt-"));
  }

  it("skips a truncated last line, keeps everything before it and a copy of the original", async () => {
    const original = [
      encodePut(makeLease(1)),
      encodePut(makeLease(2)),
      encodePut(makeLease(3)).slice(0, 40),
    ].join("\n");
    await writeFile(journal(), original);
    const { store, warnings } = await openStore();
    expect(warnings.some((w) => w.includes(`${journal()} line 3 (the last line, unterminated`))).toBe(true);
    expect(sortedLeases(store.all())).toEqual([makeLease(1), makeLease(2)]);
    const copies = await corruptCopies();
    expect(copies).toHaveLength(1);
    expect(await readFile(join(dir, copies[0]!), "utf8")).toBe(original);
    expect(warnings.some((w) => w.includes(copies[0]!))).toBe(true);
    // The journal was rewritten clean: appends after it replay without warnings.
    await store.put(makeLease(4));
    await store.close();
    const { store: again, warnings: second } = await openStore();
    expect(second).toEqual([]);
    expect(again.size).toBe(3);
    expect(await corruptCopies()).toHaveLength(1);
  });

  it("skips garbage in the middle and keeps every valid line before and after", async () => {
    await writeFile(
      journal(),
      `${encodePut(makeLease(1))}\n\u0000\u0000garbage\u0000\n${encodePut(makeLease(2))}\n{"v":1,"op":"put"}\n${encodeDelete(BASE + 1)}\n${encodePut(makeLease(5))}\n`,
    );
    const { store, warnings } = await openStore();
    expect(warnings.filter((w) => w.includes("skipped")).map((w) => w.match(/line (\d+)/)?.[1])).toEqual([
      "2",
      "4",
    ]);
    expect(sortedLeases(store.all())).toEqual([makeLease(2), makeLease(5)]);
    expect(await corruptCopies()).toHaveLength(1);
    expect(await journalLines()).toHaveLength(2);
  });

  it("keeps a complete last line that lacks its newline and repairs the file without a copy", async () => {
    await writeFile(journal(), `${encodePut(makeLease(1))}\n${encodePut(makeLease(2))}`);
    const { store, warnings } = await openStore();
    expect(warnings).toEqual([]);
    expect(store.size).toBe(2);
    await store.put(makeLease(3));
    expect(await journalLines()).toHaveLength(3);
    expect(await corruptCopies()).toEqual([]);
  });

  it("refuses a journal of a newer format and leaves the file untouched", async () => {
    const original = `${encodePut(makeLease(1))}\n{"v":2,"op":"put","address":"192.168.7.2","future":true}\nxx\n`;
    await writeFile(journal(), original);
    const store = new FileLeaseStore({ dir });
    stores.push(store);
    const error = await store.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LeaseStoreError);
    expect(error).toMatchObject({ code: "SITEBOOT_ERR_LEASES_NEWER_FORMAT", path: journal() });
    expect(String((error as Error).message)).toContain("format version 2");
    expect(await readFile(journal(), "utf8")).toBe(original);
    expect(await readdir(dir)).toEqual(["leases4.jsonl"]);
    await expect(store.put(makeLease(1))).rejects.toThrow(/not open/);
  });

  it("ignores and removes a .tmp left by an interrupted compaction: the journal is authoritative", async () => {
    await writeFile(journal(), `${encodePut(makeLease(1))}\n`);
    await writeFile(
      `${journal()}.tmp`,
      `${encodePut(makeLease(2))}\n${encodePut(makeLease(3)).slice(0, 10)}`,
    );
    const { store, warnings } = await openStore();
    expect(sortedLeases(store.all())).toEqual([makeLease(1)]);
    expect(warnings.join()).toContain("interrupted compaction");
    expect((await readdir(dir)).sort()).toEqual(["leases4.jsonl", "leases4.jsonl.lock"]);
  });
});

describe("FileLeaseStore compaction", () => {
  it("rewrites the journal to the live rows and keeps appending to the new file", async () => {
    const { store } = await openStore();
    for (let i = 0; i < 40; i++) await store.put(makeLease(i % 4, { start: i }));
    await store.delete(BASE + 0);
    expect(await journalLines()).toHaveLength(41);
    await store.compact();
    expect(await journalLines()).toHaveLength(3);
    await store.put(makeLease(7));
    expect(await journalLines()).toHaveLength(4);
    expect((await readdir(dir)).sort()).toEqual(["leases4.jsonl", "leases4.jsonl.lock"]);
    const expected = sortedLeases(store.all());
    await store.close();
    const { store: again } = await openStore();
    expect(sortedLeases(again.all())).toEqual(expected);
  });

  it("compacts automatically after compactEvery appends", async () => {
    const { store } = await openStore({ compactEvery: 10 });
    for (let i = 0; i < 35; i++) await store.put(makeLease(i % 3, { start: i }));
    expect(store.stats.compactions).toBe(3);
    expect((await journalLines()).length).toBeLessThan(10);
    expect(store.stats.journalRecords).toBe((await journalLines()).length);
  });

  it("compacts at open when dead rows outnumber the live state", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => encodePut(makeLease(i % 5, { start: i })));
    await writeFile(journal(), `${rows.join("\n")}\n`);
    const { store, warnings } = await openStore();
    expect(warnings).toEqual([]);
    expect(store.stats.compactions).toBe(1);
    expect(await journalLines()).toHaveLength(5);
    expect(store.byAddress(BASE + 4)?.start).toBe(299);
  });

  it("leaves a small journal alone at open", async () => {
    const rows = Array.from({ length: 20 }, (_, i) => encodePut(makeLease(i % 5, { start: i })));
    await writeFile(journal(), `${rows.join("\n")}\n`);
    const { store } = await openStore();
    expect(store.stats.compactions).toBe(0);
    expect(await journalLines()).toHaveLength(20);
  });

  it("survives a failed compaction: the journal stays authoritative and the covered puts still land", async () => {
    const warnings: string[] = [];
    const { store } = await openStore({ compactEvery: 4, onWarning: (m) => warnings.push(m) });
    await store.put(makeLease(1));
    await mkdir(`${journal()}.tmp`); // the compacted file cannot be created
    const pending = [store.put(makeLease(2)), store.put(makeLease(3))];
    await expect(store.compact()).rejects.toMatchObject({
      code: "SITEBOOT_ERR_LEASES_IO",
      path: `${journal()}.tmp`,
      osCode: "EISDIR",
    });
    await Promise.all(pending);
    // Automatic compaction fails the same way: reported, never thrown at a put.
    for (let i = 4; i < 10; i++) await store.put(makeLease(i));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toContain(`${journal()}.tmp`);
    expect(store.stats.compactions).toBe(0);
    expect(await journalLines()).toHaveLength(9);
    await store.close();
    await expect(new FileLeaseStore({ dir }).open()).rejects.toThrow(
      /cannot remove the leftover compaction file/,
    );
    await rmdir(`${journal()}.tmp`);
    const { store: again } = await openStore();
    expect(again.size).toBe(9);
  });

  it("makes puts issued during a compaction durable in the final file", async () => {
    const { store } = await openStore();
    await Promise.all(Array.from({ length: 2000 }, (_, i) => store.put(makeLease(i))));
    const during: Promise<void>[] = [];
    const compaction = store.compact();
    during.push(store.put(makeLease(5000)), store.delete(BASE + 1));
    // Keep issuing changes while the compaction runs, in later turns of the event loop.
    for (let round = 0; round < 20; round++) {
      await new Promise((r) => setImmediate(r));
      during.push(
        store.put(makeLease(6000 + round)),
        store.put(makeLease(2, { state: "released", start: round })),
      );
    }
    await Promise.all([compaction, ...during]);
    expect(store.stats.compactions).toBe(1);
    const expected = sortedLeases(store.all());
    expect(expected).toHaveLength(2000 + 1 - 1 + 20);
    await store.close();
    const { store: again, warnings } = await openStore();
    expect(warnings).toEqual([]);
    expect(sortedLeases(again.all())).toEqual(expected);
    expect(again.byAddress(BASE + 2)?.start).toBe(19);
  });
});

describe("readLeaseJournal", () => {
  it("lists the leases of a journal in use without touching it", async () => {
    const { store } = await openStore();
    await store.put(makeLease(1));
    await store.put(makeLease(2));
    await store.delete(BASE + 1);
    await writeFile(journal(), `${await readFile(journal(), "utf8")}{"v":1,"op`, { flag: "w" });
    const before = await readFile(journal(), "utf8");
    const { leases, warnings } = await readLeaseJournal(journal());
    expect(leases).toEqual([makeLease(2)]);
    expect(warnings).toHaveLength(1);
    expect(await readFile(journal(), "utf8")).toBe(before);
    expect(await readLeaseJournal(join(dir, "missing.jsonl"))).toEqual({ leases: [], warnings: [] });
  });
});

describe("FileLeaseStore lock", () => {
  const lockFile = () => `${journal()}.lock`;

  it("refuses a second writer while the first is open, and lets it in after close", async () => {
    const { store } = await openStore();
    const second = new FileLeaseStore({ dir });
    await expect(second.open()).rejects.toMatchObject({
      code: "SITEBOOT_ERR_LEASES_LOCKED",
      message: expect.stringContaining(`in use by process ${process.pid}`),
    });
    await store.close();
    expect(await readdir(dir)).toEqual(["leases4.jsonl"]);
    await openStore();
  });

  it("takes over a lock left by a process that is gone", async () => {
    const gone = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid;
    await writeFile(lockFile(), JSON.stringify({ pid: gone }));
    await openStore();
    expect(JSON.parse(await readFile(lockFile(), "utf8"))).toMatchObject({ pid: process.pid });
  });

  /** What this process writes into a lock it holds: its pid, the boot id and its start time. */
  async function thisProcess() {
    const bootId = (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
    const stat = await readFile(`/proc/${process.pid}/stat`, "utf8");
    const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return { pid: process.pid, bootId, startTime };
  }

  /** The lock names this process and the store writes to its journal. */
  async function expectTakenOver(store: FileLeaseStore) {
    expect(JSON.parse(await readFile(lockFile(), "utf8"))).toEqual(await thisProcess());
    const before = existsSync(journal()) ? (await journalLines()).length : 0;
    await store.put(makeLease(1));
    expect(await journalLines()).toHaveLength(before + 1);
  }

  it("takes over a lock whose pid now belongs to another process (other boot, other start time)", async () => {
    const me = await thisProcess();
    await writeFile(lockFile(), JSON.stringify({ ...me, bootId: "another-boot" }));
    const { store } = await openStore();
    await expectTakenOver(store);
    await store.close();
    await writeFile(lockFile(), JSON.stringify({ ...me, startTime: "1" }));
    const { store: again } = await openStore();
    await expectTakenOver(again);
    await again.close();
    // The same pid, boot and start time is this very process: refused, the lock left as it was.
    await writeFile(lockFile(), JSON.stringify(me));
    await expect(new FileLeaseStore({ dir }).open()).rejects.toMatchObject({
      code: "SITEBOOT_ERR_LEASES_LOCKED",
    });
    expect(JSON.parse(await readFile(lockFile(), "utf8"))).toEqual(me);
  });

  it("takes over an unreadable lock file", async () => {
    await writeFile(lockFile(), "\u0000garbage");
    const { store, warnings } = await openStore();
    expect(warnings).toEqual([]);
    await expectTakenOver(store);
  });
});

describe("FileLeaseStore errors", () => {
  it("names the path when the directory is not a directory", async () => {
    const file = join(dir, "not-a-dir");
    await writeFile(file, "x");
    const store = new FileLeaseStore({ dir: join(file, "leases") });
    const error = await store.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "SITEBOOT_ERR_LEASES_IO", osCode: "ENOTDIR" });
    expect((error as Error).message).toContain(file);
  });

  it("names the path when the journal is a directory", async () => {
    await mkdir(journal());
    const store = new FileLeaseStore({ dir });
    await expect(store.open()).rejects.toMatchObject({ code: "SITEBOOT_ERR_LEASES_IO", path: journal() });
  });

  it("refuses changes before open and rejects a bad compactEvery", async () => {
    const store = new FileLeaseStore({ dir });
    await expect(store.put(makeLease(1))).rejects.toMatchObject({ code: "SITEBOOT_ERR_LEASES_NOT_OPEN" });
    expect(() => new FileLeaseStore({ dir, compactEvery: 0 })).toThrow(/compactEvery/);
  });
});

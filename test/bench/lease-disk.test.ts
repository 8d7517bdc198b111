/** Where the DHCP benchmark keeps leases, and that it never calls leases in memory durable. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { durableDirectory, fileSystemOf } from "./bench-kit.js";
import { leaseNote } from "./dhcp.bench.js";

const shm = existsSync("/dev/shm") && fileSystemOf("/dev/shm").name === "tmpfs";

describe("fileSystemOf", () => {
  it.skipIf(!shm)("knows tmpfs is in memory", () => {
    expect(fileSystemOf("/dev/shm")).toEqual({ name: "tmpfs", onDisk: false });
  });

  it("knows the file system of the root directory", () => {
    const root = fileSystemOf("/");
    expect(root.name.length).toBeGreaterThan(0);
    expect(typeof root.onDisk).toBe("boolean");
  });
});

describe("durableDirectory", () => {
  const saved = process.env.SITEBOOT_BENCH_DIR;
  const made: string[] = [];
  afterEach(() => {
    if (saved === undefined) delete process.env.SITEBOOT_BENCH_DIR;
    else process.env.SITEBOOT_BENCH_DIR = saved;
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!shm)("says so when the only directory it may use is in memory", () => {
    process.env.SITEBOOT_BENCH_DIR = mkdtempSync("/dev/shm/siteboot-test-");
    made.push(process.env.SITEBOOT_BENCH_DIR);
    const disk = durableDirectory("leases-");
    expect(disk).toMatchObject({ name: "tmpfs", onDisk: false });
    expect(disk.dir.startsWith(`${process.env.SITEBOOT_BENCH_DIR}/leases-`)).toBe(true);
    expect(existsSync(disk.dir)).toBe(true);
  });

  it("prefers a directory on a disk when the machine has one", () => {
    delete process.env.SITEBOOT_BENCH_DIR;
    const disk = durableDirectory("siteboot-test-");
    made.push(disk.dir);
    expect(existsSync(disk.dir)).toBe(true);
    expect(fileSystemOf(disk.dir)).toEqual({ name: disk.name, onDisk: disk.onDisk });
    // /var/tmp first: it is on a disk on any ordinary Linux installation.
    if (fileSystemOf("/var/tmp").onDisk) expect(disk.dir.startsWith("/var/tmp/")).toBe(true);
  });
});

describe("leaseNote", () => {
  it("calls leases durable only on a disk", () => {
    expect(leaseNote({ dir: "/var/tmp/x", name: "ext2/3/4", onDisk: true })).toMatch(/durable \(O_DSYNC\)/);
    const memory = leaseNote({ dir: "/tmp/x", name: "tmpfs", onDisk: false });
    expect(memory).toMatch(/NOT durable/);
    expect(memory).not.toMatch(/durable \(O_DSYNC\) before/);
  });
});

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CpuBudget, processCpuMs } from "./cpu-budget.js";

describe("processCpuMs", () => {
  it("grows by the CPU time the process spends", () => {
    const before = processCpuMs(process.pid);
    const until = Date.now() + 150;
    let spins = 0;
    while (Date.now() < until) spins++;
    const used = processCpuMs(process.pid) - before;
    expect(spins).toBeGreaterThan(0);
    // 150 ms of spinning, read in 10 ms ticks; a loaded machine may take some of it away.
    expect(used).toBeGreaterThanOrEqual(50);
    expect(used).toBeLessThan(5000);
  });
});

describe("CpuBudget", () => {
  it("refuses a share outside (0, 1] with the reason", () => {
    expect(CpuBudget.open("siteboot-test-bad", 0)).toMatch(/CPU share must be in \(0, 1\]/);
    expect(CpuBudget.open("siteboot-test-bad", 1.5)).toMatch(/got 1.5/);
    expect(CpuBudget.open("siteboot-test-bad", Number.NaN)).toMatch(/got NaN/);
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)("puts a process in a limited group and removes the group", async () => {
    const name = `siteboot-test-${process.pid}`;
    const budget = CpuBudget.open(name, 0.25);
    if (typeof budget === "string") {
      // A machine without a CPU controller for children: the reason must say so.
      expect(budget).toMatch(/cgroup/);
      return;
    }
    // A quarter of a CPU: 2.5 ms in every 10 ms period.
    const v1 = join(budget.directory, "cpu.cfs_quota_us");
    const quota = existsSync(v1)
      ? `${readFileSync(v1, "utf8").trim()} ${readFileSync(join(budget.directory, "cpu.cfs_period_us"), "utf8").trim()}`
      : readFileSync(join(budget.directory, "cpu.max"), "utf8").trim();
    expect(quota).toBe("2500 10000");
    const child = spawn("sleep", ["5"], { stdio: "ignore" });
    try {
      budget.add(child.pid!);
      const groups = readFileSync(`/proc/${child.pid}/cgroup`, "utf8");
      expect(groups).toContain(`/${name}`);
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      // The kernel drops an exited process from the group a moment after its exit is reported.
      for (let i = 0; i < 50 && readFileSync(`${budget.directory}/cgroup.procs`, "utf8").trim() !== ""; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      budget.destroy();
    }
    expect(existsSync(budget.directory)).toBe(false);
  });
});

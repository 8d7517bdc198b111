import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { serviceNodeFlags, serviceUnitEnvironment } from "../helpers/service-node-flags.js";

const run = promisify(execFile);
const UNIT = "scripts/systemd/siteboot.service";

describe("the systemd unit", () => {
  it("passes systemd-analyze verify", async () => {
    const { stdout, stderr } = await run("systemd-analyze", ["verify", UNIT]);
    expect(`${stdout}${stderr}`.trim()).toBe("");
  });

  it("is hardened: systemd-analyze security rates its exposure 2.0 or lower", async () => {
    const { stdout } = await run("systemd-analyze", ["security", "--offline=true", "--no-pager", UNIT]);
    const exposure = Number(/Overall exposure level for siteboot\.service: ([\d.]+)/.exec(stdout)?.[1]);
    expect(exposure).toBeGreaterThan(0);
    expect(exposure).toBeLessThanOrEqual(2.0);
  });

  it("runs unprivileged with only the network capabilities, notifies readiness and reloads with SIGHUP", () => {
    const unit = readFileSync(UNIT, "utf8");
    for (const line of [
      "Type=notify",
      "User=siteboot",
      "AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_RAW",
      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_RAW",
      "StateDirectory=siteboot",
      "ExecReload=/bin/kill -HUP $MAINPID",
      "Restart=on-failure",
      "ProtectSystem=strict",
      "NoNewPrivileges=yes",
    ]) {
      expect(unit.split("\n")).toContain(line);
    }
  });

  it("runs Node.js without V8 flags (they would void the code caches) and with two malloc arenas", () => {
    // The benchmarks read both from the unit, so they measure the service as deployed.
    expect(serviceNodeFlags()).toEqual([]);
    expect(serviceUnitEnvironment()).toEqual({ NODE_ENV: "production", MALLOC_ARENA_MAX: "2" });
  });
});

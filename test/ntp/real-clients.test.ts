/**
 * Real NTP clients against the real service: chronyd -Q (the reference client) on a random loopback
 * port, and sntp (ntpsec's ntpdig, which cannot be given a port) against the service on port 123
 * inside a throw-away network namespace. Both must accept the replies and measure a small offset.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { StaticHostSync, unsynchronised } from "../../src/ntp/host-sync.js";
import { NtpService } from "../../src/ntp/ntp-service.js";
import { NO_EVENTS } from "../../src/observe/events.js";
import { canUseNetns, NetnsLab } from "../helpers/netns.js";
import { ntpTestSite } from "./site.js";

function available(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion with a hard deadline; the child is killed by PID on timeout. */
function run(
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, "SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** chronyd -Q: measures the offset against one server without touching the clock. */
async function chronydQuery(port: number): Promise<{ offset: number | undefined; output: string }> {
  const { output } = await run(
    "chronyd",
    [
      "-Q",
      "-f",
      "/dev/null",
      "-t",
      "15",
      `server 127.0.0.1 port ${port} iburst minpoll -4 maxpoll -4 maxsamples 6`,
    ],
    20_000,
  );
  const m = /System clock wrong by (-?[0-9.]+) seconds/.exec(output);
  return { offset: m ? Number(m[1]) : undefined, output };
}

const services: NtpService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

describe.skipIf(!available("chronyd"))("chronyd -Q against siteboot", () => {
  it("accepts the replies of a local-stratum server and measures an offset under 5 ms", async () => {
    const service = new NtpService(ntpTestSite(), { events: NO_EVENTS });
    services.push(service);
    await service.start();
    const { offset, output } = await chronydQuery(service.addresses()[0]!.port);
    expect(offset, output).toBeDefined();
    expect(Math.abs(offset!)).toBeLessThan(0.005);
  });

  it("refuses to synchronise to siteboot when siteboot says it is unsynchronised", async () => {
    const service = new NtpService(ntpTestSite({ stratum: { mode: "auto" } }), {
      events: NO_EVENTS,
      hostSync: new StaticHostSync(unsynchronised("static", "test")),
    });
    services.push(service);
    await service.start();
    const { offset, output } = await chronydQuery(service.addresses()[0]!.port);
    expect(offset).toBeUndefined();
    expect(output).toContain("No suitable source for synchronisation");
  });
});

describe.skipIf(!available("sntp") || !canUseNetns())(
  "sntp against siteboot on port 123 in a namespace",
  () => {
    const lab = new NetnsLab();
    afterAll(() => lab.destroy());

    it("accepts the replies and reports stratum 10 and a small offset", async () => {
      const ns = lab.namespace("ntp");
      const server = lab.spawn(ns, process.execPath, [
        "--import",
        "tsx",
        "test/ntp/serve-fixture.ts",
        "127.0.0.1",
        "123",
      ]);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error("the service did not start in the namespace")),
          20_000,
        );
        let seen = "";
        server.stdout?.on("data", (d) => {
          seen += d;
          if (seen.includes("listening")) {
            clearTimeout(timer);
            resolve();
          }
        });
        server.once("exit", (code) => reject(new Error(`the service exited (${code})`)));
      });
      const offsets: number[] = [];
      for (let i = 0; i < 3; i++) {
        const out = lab.exec(ns, "sntp", "-j", "-t", "2", "127.0.0.1");
        const report = JSON.parse(out) as { offset: number; stratum: number; leap: string; host: string };
        expect(report).toMatchObject({ stratum: 10, leap: "no-leap", host: "127.0.0.1" });
        offsets.push(Math.abs(report.offset));
      }
      // sntp is a Python client: its own timestamps jitter by milliseconds, so judge the best of three.
      expect(Math.min(...offsets)).toBeLessThan(0.005);
    });
  },
);

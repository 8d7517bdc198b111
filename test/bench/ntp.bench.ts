/**
 * NTP benchmark: siteboot's responder (rate limit off, `local` stratum 10) against chronyd serving
 * `local stratum 10` on another loopback port, in the same run. A bounded open-loop load generator
 * in C (test/bench/ntp-load.c: several threads, one socket each, sendmmsg/recvmmsg) offers mode-3
 * requests at a fixed rate for a few seconds and counts valid replies (origin = what was sent);
 * then steps the offered rate up to find the highest rate answered with < 2 % loss. Finally
 * `chronyd -Q` measures offset and delay against each server. Goals: ≥ 0.7× chronyd's rate,
 * |offset| ≤ 50 µs. A run whose reference failed, or whose generator could not find chronyd's limit,
 * is INVALID: it says why, prints no ratio and fails. Each run prints the datagrams dropped at the
 * server's socket and each server's receive queue: siteboot asks for 4 MiB, chronyd has no setting
 * for it and keeps the kernel default, so a server descheduled for a few milliseconds loses requests
 * in chronyd's case first. Everything stays on 127.0.0.1 and every process is killed by PID.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { serviceEnvironment } from "../helpers/service-node-flags.js";
import {
  cpuTimes,
  InvalidRun,
  median,
  othersShare,
  stolenShare,
  stopChild,
  waitForOutput,
} from "./bench-kit.js";
import { processCpuMs } from "./cpu-budget.js";
import { nativeTool } from "./native-tool.js";
import { capacity, type LoadResult, type ServerRun, searchDone, verdict } from "./ntp-verdict.js";

const THREADS = Number(process.env.NTP_BENCH_THREADS ?? 2);
const FIXED_RATE = 20_000;
const FIXED_SECONDS = Number(process.env.NTP_BENCH_FIXED_SECONDS ?? 3);
const STEP_SECONDS = Number(process.env.NTP_BENCH_STEP_SECONDS ?? 1.5);
const RATES = (
  process.env.NTP_BENCH_RATES ?? "25000,50000,75000,90000,100000,110000,125000,150000,200000,300000,400000"
)
  .split(",")
  .map(Number);

/** One bounded ntp-load run against 127.0.0.1:`port`. */
export async function offer(
  port: number,
  rate: number,
  seconds: number,
  threads = THREADS,
): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(
    nativeTool("ntp-load"),
    ["127.0.0.1", String(port), String(rate), String(seconds), String(threads)],
    { timeout: (seconds + 10) * 1000 },
  );
  return JSON.parse(stdout) as LoadResult;
}

/**
 * The receive queue size and the count of datagrams dropped at it, for the UDP socket bound to
 * 127.0.0.1:`port` (from `ss`), so that a lossy step shows where the requests were lost.
 */
function serverSocket(port: number): { rcvbuf: number; drops: number } {
  const out = execFileSync("ss", ["-Huamn", `sport = :${port}`], { encoding: "utf8" });
  return { rcvbuf: Number(/\brb(\d+)/.exec(out)?.[1]), drops: Number(/,d(\d+)\)/.exec(out)?.[1]) };
}

/**
 * One load run against a server, printed with where requests were lost and what the CPU did:
 * the server's and the generator's share of a core, and the hypervisor's (steal) and other
 * processes' share of the machine.
 */
async function measuredOffer(
  name: string,
  server: ChildProcess,
  port: number,
  offered: number,
  seconds: number,
): Promise<LoadResult> {
  const before = cpuTimes();
  const serverBefore = processCpuMs(server.pid!);
  const dropsBefore = serverSocket(port).drops;
  const result = await offer(port, offered, seconds);
  const serverMs = processCpuMs(server.pid!) - serverBefore;
  const dropped = serverSocket(port).drops - dropsBefore;
  const after = cpuTimes();
  const odd = result.invalid + result.duplicate + result.kod + result.errors;
  console.log(
    `  ${name} offered ${offered}/s for ${seconds} s: sent ${result.sent}, answered ${result.received}` +
      `${odd > 0 ? ` (invalid ${result.invalid}, duplicate ${result.duplicate}, KoD ${result.kod}, errors ${result.errors})` : ""}` +
      `, dropped at the server's socket ${dropped}` +
      `; CPU: server ${percent(serverMs / (seconds * 1000))}, generator ${percent(result.cpuMs / (seconds * 1000))} of a core;` +
      ` machine: stolen ${percent(stolenShare(before, after))}, other processes ${percent(othersShare(before, serverMs + result.cpuMs, after))}`,
  );
  return result;
}

/**
 * Steps the offered rate up until the search in `capacity` stops. Also returns the most
 * replies/s seen in any step (the server's throughput once it loses requests).
 */
async function rateSearch(
  name: string,
  server: ChildProcess,
  port: number,
): Promise<{ capacity: ServerRun["capacity"]; peak: number }> {
  const steps: { offered: number; result: LoadResult }[] = [];
  for (const offered of RATES) {
    steps.push({ offered, result: await measuredOffer(name, server, port, offered, STEP_SECONDS) });
    if (searchDone(steps)) break;
    await sleep(200);
  }
  return {
    capacity: capacity(steps),
    peak: Math.max(0, ...steps.map((s) => s.result.received / s.result.seconds)),
  };
}

interface QueryResult {
  offsetUs?: number;
  delayUs?: number;
}

/** chronyd -Q with a measurements log: median offset and delay of its samples. */
async function chronydMeasure(port: number, dir: string): Promise<QueryResult> {
  const logdir = mkdtempSync(join(dir, "q-"));
  const { output } = await runProcess(
    "chronyd",
    [
      "-Q",
      "-u",
      "root",
      "-f",
      "/dev/null",
      "-t",
      "20",
      `logdir ${logdir}`,
      "log measurements",
      `server 127.0.0.1 port ${port} iburst minpoll -4 maxpoll -4 maxsamples 16`,
    ],
    25_000,
  );
  let samples: { offset: number; delay: number }[] = [];
  try {
    samples = readFileSync(join(logdir, "measurements.log"), "utf8")
      .split("\n")
      .filter((l) => /^\d{4}-/.test(l))
      .map((l) => l.trim().split(/\s+/))
      // Date Time IP L St 123 567 ABCD LP RP Score Offset PeerDel PeerDisp …
      .map((f) => ({ offset: Number(f[11]), delay: Number(f[12]) }))
      .filter((s) => Number.isFinite(s.offset) && Number.isFinite(s.delay));
  } catch {
    // No log: fall back to the summary line below.
  }
  if (samples.length > 0) {
    return {
      offsetUs: median(samples.map((s) => s.offset)) * 1e6,
      delayUs: median(samples.map((s) => s.delay)) * 1e6,
    };
  }
  const m = /System clock wrong by (-?[0-9.]+) seconds/.exec(output);
  return m ? { offsetUs: Number(m[1]) * 1e6 } : {};
}

function runProcess(
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, "SIGKILL"), timeoutMs);
    child.on("close", () => {
      clearTimeout(timer);
      resolve({ output });
    });
  });
}

function startSiteboot(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/ntp/serve-fixture.ts", "127.0.0.1", String(port)],
    {
      env: serviceEnvironment(), // as the systemd unit runs it
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return waitForOutput(child, "listening", "siteboot").then(() => child);
}

function startChronyd(port: number, dir: string): Promise<ChildProcess> {
  const conf = join(dir, "chrony.conf");
  writeFileSync(
    conf,
    [
      `port ${port}`,
      "bindaddress 127.0.0.1",
      "allow 127.0.0.1",
      "local stratum 10",
      "cmdport 0",
      `bindcmdaddress ${join(dir, "chronyd.sock")}`,
      `pidfile ${join(dir, "chronyd.pid")}`,
      "",
    ].join("\n"),
  );
  const child = spawn("chronyd", ["-x", "-d", "-u", "root", "-f", conf], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return waitForOutput(child, "Disabled control of system clock", "chronyd").then(async () => {
    await sleep(300);
    return child;
  });
}

function freePort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)} %`;
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(digits);
}

export async function run(): Promise<void> {
  try {
    execFileSync("sh", ["-c", "command -v chronyd"], { stdio: "ignore" });
  } catch {
    console.log(
      "chronyd is not installed: no reference to compare with (scripts/install-test-peers.sh installs it)",
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "siteboot-ntp-bench-"));
  let siteboot: ChildProcess | undefined;
  let chronyd: ChildProcess | undefined;
  try {
    const sitebootPort = freePort();
    const chronyPort = sitebootPort + 1;
    siteboot = await startSiteboot(sitebootPort);
    chronyd = await startChronyd(chronyPort, dir);
    const started = cpuTimes();
    // Warm both up (JIT, socket buffers).
    await offer(sitebootPort, 10_000, 0.5);
    await offer(chronyPort, 10_000, 0.5);

    const fixedS = await measuredOffer("siteboot", siteboot, sitebootPort, FIXED_RATE, FIXED_SECONDS);
    const fixedC = await measuredOffer("chronyd", chronyd, chronyPort, FIXED_RATE, FIXED_SECONDS);
    const searchS = await rateSearch("siteboot", siteboot, sitebootPort);
    const searchC = await rateSearch("chronyd", chronyd, chronyPort);
    const maxS = searchS.capacity;
    const maxC = searchC.capacity;
    const exited = (child: ChildProcess) =>
      child.exitCode !== null || child.signalCode !== null
        ? `exited during the run (${child.exitCode ?? child.signalCode})`
        : undefined;
    const runS: ServerRun = { fixed: fixedS, capacity: maxS, error: exited(siteboot) };
    const runC: ServerRun = { fixed: fixedC, capacity: maxC, error: exited(chronyd) };
    const qS = await chronydMeasure(sitebootPort, dir);
    const qC = await chronydMeasure(chronyPort, dir);
    const judged = verdict(runS, runC, FIXED_RATE);

    const bound = (c: ServerRun["capacity"]) =>
      `${fmt(c.rate)}${c.bound === "generator" ? " (generator-bound)" : ""}`;
    const rows = [
      ["", "siteboot", "chronyd", "ratio"],
      [
        `replies/s at ${FIXED_RATE} offered`,
        fmt(fixedS.received / fixedS.seconds),
        fmt(fixedC.received / fixedC.seconds),
        judged.valid ? fmt(fixedS.received / fixedC.received, 2) : "—",
      ],
      [
        "max sustained replies/s (<2 % loss)",
        bound(maxS),
        bound(maxC),
        judged.valid ? `${judged.lowerBound ? "≥ " : ""}${fmt(judged.ratio, 2)}` : "—",
      ],
      [
        "peak replies/s in any step",
        fmt(searchS.peak),
        fmt(searchC.peak),
        judged.valid ? fmt(searchS.peak / searchC.peak, 2) : "—",
      ],
      [
        "server socket's receive queue (bytes)",
        String(serverSocket(sitebootPort).rcvbuf),
        String(serverSocket(chronyPort).rcvbuf),
        "",
      ],
      ["chronyd -Q median offset, server − client (µs)", fmt(qS.offsetUs, 1), fmt(qC.offsetUs, 1), ""],
      ["chronyd -Q median delay (µs)", fmt(qS.delayUs, 1), fmt(qC.delayUs, 1), ""],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
    console.log(
      `load generator: test/bench/ntp-load.c, ${THREADS} threads with a socket each; CPU time stolen by the hypervisor during the run: ${percent(stolenShare(started))}; load average ${loadavg()[0]!.toFixed(2)}`,
    );
    const offsetGoal = `|offset| ≤ 50 µs: ${
      qS.offsetUs !== undefined && Math.abs(qS.offsetUs) <= 50 ? "met" : "NOT met"
    } (${fmt(qS.offsetUs, 1)} µs)`;
    if (!judged.valid) {
      console.log(`${offsetGoal}; rate goal: no verdict, the run is INVALID`);
      throw new InvalidRun(judged.reasons.join("; "));
    }
    const rateGoal =
      judged.ratio >= 0.7 ? "met" : judged.lowerBound ? "not shown (generator-bound)" : "NOT met";
    console.log(
      `goals: rate ≥ 0.7× chronyd: ${rateGoal} (${judged.lowerBound ? "≥ " : ""}${fmt(judged.ratio, 2)}×); ${offsetGoal}`,
    );
  } finally {
    await stopChild(siteboot);
    await stopChild(chronyd);
    rmSync(dir, { recursive: true, force: true });
  }
}

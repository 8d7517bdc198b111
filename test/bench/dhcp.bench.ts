/**
 * DHCPv4 4-way exchanges per second: perfdhcp (from Kea) against siteboot and against kea-dhcp4
 * with its memfile backend, on the same subnet, in network namespaces this benchmark creates.
 * - siteboot runs as deployed: the built appliance (dist/main.js serve, DNS and NTP included) with
 *   the systemd unit's environment. Its leases are durable before each ACK; Kea's memfile appends
 *   without fsync.
 * - Both send the same options in every reply (Kea's are marked always-send, as siteboot sends what
 *   the site configures): the client then does the same work for either server.
 * - The server under test gets the same CPU budget either way: CPU 0, half of it by default (a
 *   cgroup CPU quota, see cpu-budget.ts); perfdhcp gets CPU 1 to itself. perfdhcp parses every
 *   reply and, on one core of this machine, digests about 7 000 exchanges/s of these replies: a
 *   server with a whole core (or sharing both cores with perfdhcp) is limited by perfdhcp, and the
 *   figure then says how each server's reply timing suits perfdhcp, not how fast the server is.
 *   Each run also reports the server's CPU time per completed exchange and perfdhcp's core use, so
 *   a generator-bound run shows itself.
 * - Every run starts a fresh server. At each offered rate the two servers run back to back, the
 *   order alternating by round, and each server's median over the rounds is compared.
 * Bounded: RATES offered, CLIENTS distinct MACs, SECONDS per run, ROUNDS rounds.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DhcpLab, siteYaml, sleep } from "../dhcp/dhcp-lab.js";
import { canUseNetns } from "../helpers/netns.js";
import { serviceEnvironment } from "../helpers/service-node-flags.js";
import { median, stopChild, waitForOutput } from "./bench-kit.js";
import { CpuBudget, processCpuMs } from "./cpu-budget.js";

const SECONDS = Number(process.env.DHCP_BENCH_SECONDS ?? 5);
const CLIENTS = Number(process.env.DHCP_BENCH_CLIENTS ?? 200);
/** Offered loads (exchanges/s): below, near and above what either server sustains on half a core. */
const RATES = (process.env.DHCP_BENCH_RATES ?? "2000,4000,6000,9000").split(",").map(Number);
const ROUNDS = Number(process.env.DHCP_BENCH_ROUNDS ?? 4);
/**
 * Each fresh server first answers WARMUP_SECONDS of load at WARMUP_RATE, unmeasured: the figures
 * are for a server in its steady state. A cold siteboot interprets its hot paths until V8 has
 * compiled them; on half a core at 4 000 offered it dropped about 1 000 requests in its first
 * half second. Kea is compiled ahead of time and gets the same warm-up.
 */
const WARMUP_SECONDS = Number(process.env.DHCP_BENCH_WARMUP_SECONDS ?? 1);
const WARMUP_RATE = 2000;
/** Share of CPU 0 the server under test may use ("none": no quota, the whole core). */
const SERVER_CPU = process.env.DHCP_BENCH_SERVER_CPU ?? "0.5";
/** Server on CPU 0, perfdhcp on CPU 1 (DHCP_BENCH_PIN=0: wherever the scheduler puts them). */
const PIN = process.env.DHCP_BENCH_PIN !== "0" && availableParallelism() >= 2 && which("taskset");
const APPLIANCE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "main.js");

interface Result {
  /** perfdhcp's completed 4-way exchanges per second. */
  readonly rate: number;
  /** CPU time the server used during the run (all its threads), ms. */
  readonly serverCpuMs: number;
  /** CPU time perfdhcp used, ms. */
  readonly generatorCpuMs: number;
  /** Share of the machine's CPU time the hypervisor gave to others during the run (/proc/stat steal). */
  readonly steal: number;
}

/** Total and stolen CPU time of the machine so far, in clock ticks (the first line of /proc/stat). */
function cpuTimes(): { total: number; steal: number } {
  const fields = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal (guest times are already inside user).
  return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}

function which(tool: string): boolean {
  try {
    execFileSync("which", [tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** perfdhcp's "Rate: N 4-way exchanges/second". */
function parseRate(output: string): number {
  return Number(/Rate:\s*([\d.]+)\s*4-way exchanges\/second/.exec(output)?.[1] ?? Number.NaN);
}

/** Children's user and system time as bash's `times` prints it last ("0m1.230s 0m0.450s"), ms. */
function childCpuMs(output: string): number {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(output.trimEnd());
  if (!m) return Number.NaN;
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

/** perfdhcp in namespace `ns` (on CPU 1 when pinning), then bash's `times` (its CPU time) on standard output. */
function runPerfdhcp(ns: string, rate: number, seconds: number) {
  const args = [
    "-4",
    "-l",
    "eth0",
    "-r",
    String(rate),
    "-R",
    String(CLIENTS),
    "-p",
    String(seconds),
    "-s",
    "42",
  ];
  const generator = PIN ? ["taskset", "-c", "1", "perfdhcp"] : ["perfdhcp"];
  // perfdhcp exits with 3 when packets were dropped; its report is still complete.
  return spawnSync(
    "ip",
    [
      "netns",
      "exec",
      ns,
      "bash",
      "-c",
      '"$@"; status=$?; times; exit $status',
      "bash",
      ...generator,
      ...args,
    ],
    { encoding: "utf8", timeout: (seconds + 30) * 1000 },
  );
}

/** One measured perfdhcp run at `rate` against the server `serverPid`, after its warm-up. */
function perfdhcp(ns: string, rate: number, serverPid: number): Result {
  if (WARMUP_SECONDS > 0) runPerfdhcp(ns, WARMUP_RATE, WARMUP_SECONDS);
  const before = cpuTimes();
  const serverBefore = processCpuMs(serverPid);
  const run = runPerfdhcp(ns, rate, SECONDS);
  const serverCpuMs = processCpuMs(serverPid) - serverBefore;
  const output = `${run.stderr}\n${run.stdout}`;
  const after = cpuTimes();
  const steal = (after.steal - before.steal) / Math.max(1, after.total - before.total);
  const result = { rate: parseRate(output), serverCpuMs, generatorCpuMs: childCpuMs(run.stdout), steal };
  if (!Number.isFinite(result.rate)) throw new Error(`perfdhcp output not understood:\n${output}`);
  return result;
}

function keaConfig(
  dir: string,
  leaseDatabase: Record<string, unknown>,
  extra: Record<string, unknown>,
): string {
  return JSON.stringify({
    Dhcp4: {
      ...extra,
      "interfaces-config": { interfaces: ["lab0"], "dhcp-socket-type": "raw" },
      "lease-database": leaseDatabase,
      "valid-lifetime": 28800,
      "renew-timer": 14400,
      "rebind-timer": 25200,
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          pools: [{ pool: "198.51.100.10 - 198.51.100.249" }],
          // config/site.yaml's options, in every reply as siteboot sends them. Kea 2.2 has no
          // definition for 150 (TFTP server address): raw bytes of 198.51.100.40.
          "option-data": [
            { name: "routers", data: "198.51.100.1" },
            { name: "domain-name-servers", data: "198.51.100.2" },
            { name: "domain-name", data: "contoso.com", "always-send": true },
            { name: "domain-search", data: "contoso.com, fabrikam.com", "always-send": true },
            { name: "ntp-servers", data: "198.51.100.2", "always-send": true },
            { name: "tftp-server-name", data: "http://prov.contoso.com/", "always-send": true },
            { code: 150, data: "C6336428", "csv-format": false, "always-send": true },
          ],
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: join(dir, "kea.log") }], severity: "WARN" }],
    },
  });
}

/**
 * Where each server keeps its leases during a comparison: prepared once in the lab, then cleared
 * before every fresh server so each run starts from an empty lease database.
 */
export interface LeaseBackends {
  /** What the table compares, printed above it. */
  readonly description: string;
  prepare(lab: DhcpLab): Promise<{
    /** Appended to site.yaml. */
    readonly siteYaml: string;
    readonly keaLeaseDatabase: Record<string, unknown>;
    /** More Dhcp4 settings for Kea (e.g. multi-threading). */
    readonly keaSettings?: Record<string, unknown>;
    beforeSiteboot(): Promise<void>;
    beforeKea(): Promise<void>;
    cleanup(): Promise<void>;
  }>;
}

const JOURNAL_AND_MEMFILE: LeaseBackends = {
  description:
    "siteboot: the built appliance, each lease durable (O_DSYNC) before its ACK; kea-dhcp4 memfile: no fsync; same options in every reply",
  async prepare(lab) {
    const keaLeases = join(lab.dir, "kea-leases4.csv");
    return {
      siteYaml: "",
      keaLeaseDatabase: { type: "memfile", persist: true, name: keaLeases, "lfc-interval": 0 },
      beforeSiteboot: async () => rmSync(join(lab.dir, "state"), { recursive: true, force: true }),
      beforeKea: async () => {
        rmSync(keaLeases, { force: true });
        rmSync(`${keaLeases}.2`, { force: true });
      },
      cleanup: async () => {},
    };
  },
};

export function run(): Promise<void> {
  return compareWithKea(JOURNAL_AND_MEMFILE);
}

/** perfdhcp against siteboot and kea-dhcp4, each keeping its leases as `backends` says. */
export async function compareWithKea(backends: LeaseBackends): Promise<void> {
  if (!canUseNetns() || !which("perfdhcp") || !which("kea-dhcp4")) {
    console.log("skipped: needs root (network namespaces), perfdhcp and kea-dhcp4");
    return;
  }
  if (!existsSync(APPLIANCE)) {
    console.log(`skipped: ${APPLIANCE} is not built (npm run build)`);
    return;
  }
  const results: { server: "siteboot" | "kea"; rate: number; round: number; result: Result }[] = [];
  const share = SERVER_CPU === "none" ? undefined : Number(SERVER_CPU);
  const opened =
    share === undefined ? "no quota asked for" : CpuBudget.open(`siteboot-bench-${process.pid}`, share);
  const budget = typeof opened === "string" ? undefined : opened;
  const lab = new DhcpLab();
  /** Starts a server in the lab's server namespace, on CPU 0 and inside the budget. */
  const startServer = (ns: string, command: string, args: readonly string[]) => {
    const child = PIN
      ? lab.net.spawn(ns, "taskset", ["-c", "0", command, ...args])
      : lab.net.spawn(ns, command, args);
    // `ip netns exec`, taskset and env each exec the next: this pid becomes the server's.
    if (budget && child.pid !== undefined) budget.add(child.pid);
    return child;
  };
  let leases: Awaited<ReturnType<LeaseBackends["prepare"]>> | undefined;
  try {
    leases = await backends.prepare(lab);
    const app = lab.net.namespace("app");
    const client = lab.net.namespace("cli");
    lab.net.link(
      { ns: app, ifname: "lab0", address: "198.51.100.2/24" },
      { ns: client, ifname: "eth0", address: "198.51.100.251/24" },
    );
    lab.net.exec(client, "ip", "route", "add", "default", "dev", "eth0");
    const site = lab.writeFile(
      "site.yaml",
      siteYaml([["pools: [198.51.100.100-198.51.100.199]", "pools: [198.51.100.10-198.51.100.249]"]]) +
        leases.siteYaml,
    );
    const keaFile = lab.writeFile(
      "kea-dhcp4.json",
      keaConfig(lab.dir, leases.keaLeaseDatabase, leases.keaSettings ?? {}),
    );
    const stateDir = join(lab.dir, "state");
    const fresh = leases;
    // As the systemd unit runs it: PATH and the unit's Environment=, not this shell's variables.
    const environment = Object.entries(serviceEnvironment({ PATH: process.env.PATH ?? "/usr/bin:/bin" })).map(
      ([name, value]) => `${name}=${value}`,
    );

    const measureSiteboot = async (rate: number): Promise<Result> => {
      await fresh.beforeSiteboot();
      const server = startServer(app, "env", [
        "-i",
        ...environment,
        process.execPath,
        APPLIANCE,
        "serve",
        "-c",
        site,
        "--state-dir",
        stateDir,
      ]);
      try {
        await waitForOutput(server, '"startupMs"', "siteboot");
        return perfdhcp(client, rate, server.pid!);
      } finally {
        await stopChild(server, 5000);
      }
    };
    const measureKea = async (rate: number): Promise<Result> => {
      await fresh.beforeKea();
      // Kea keeps its pid and lock files in these directories; keep them inside the lab.
      const kea = startServer(app, "env", [
        `KEA_PIDFILE_DIR=${lab.dir}`,
        `KEA_LOCKFILE_DIR=${lab.dir}`,
        "kea-dhcp4",
        "-c",
        keaFile,
      ]);
      try {
        // Its own log goes to a file at WARN; the start-up banner still reaches standard output.
        await waitForOutput(kea, "DHCP4_STARTING", "kea-dhcp4");
        await sleep(1500); // reads its configuration and opens its sockets after the banner
        return perfdhcp(client, rate, kea.pid!);
      } finally {
        await stopChild(kea, 5000);
      }
    };

    for (let round = 1; round <= ROUNDS; round++) {
      for (const rate of RATES) {
        const order = round % 2 === 1 ? (["siteboot", "kea"] as const) : (["kea", "siteboot"] as const);
        for (const server of order) {
          const result = server === "siteboot" ? await measureSiteboot(rate) : await measureKea(rate);
          results.push({ server, rate, round, result });
        }
      }
    }
  } finally {
    await leases?.cleanup();
    await lab.destroy();
    budget?.destroy();
  }
  const placement = PIN
    ? "server on CPU 0, perfdhcp on CPU 1"
    : "server and perfdhcp placed by the scheduler";
  const quota = budget
    ? `the server limited to ${Math.round(budget.share * 100)} % of a CPU (cgroup CPU quota)`
    : `no CPU quota (${opened as string})`;
  const warmUp =
    WARMUP_SECONDS > 0 ? `${WARMUP_SECONDS} s at ${WARMUP_RATE}/s unmeasured first` : "no warm-up";
  console.log(`${placement}; ${quota}; each fresh server answers ${warmUp}`);
  console.log(
    `perfdhcp -R ${CLIENTS} -p ${SECONDS} per run, ${ROUNDS} rounds, a fresh server per run, the two servers back to back at each rate (order alternating by round)`,
  );
  console.log(backends.description);
  console.log(
    "| offered/s | siteboot 4-way/s by round | Kea 4-way/s by round | siteboot median | Kea median | ratio of medians | server CPU µs per exchange, siteboot / Kea | perfdhcp core use, siteboot / Kea runs | CPU stolen, worst round |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  const medians: { siteboot: number; kea: number }[] = [];
  for (const rate of RATES) {
    const runs = (server: "siteboot" | "kea") =>
      results.filter((r) => r.server === server && r.rate === rate).map((r) => r.result);
    const ours = runs("siteboot");
    const kea = runs("kea");
    const exchanges = { siteboot: median(ours.map((r) => r.rate)), kea: median(kea.map((r) => r.rate)) };
    medians.push(exchanges);
    const ratio = exchanges.siteboot / exchanges.kea;
    // Work per completed exchange; replies perfdhcp dropped count as work, so this never flatters.
    const cpuPerExchange = (list: Result[]) =>
      median(list.map((r) => (r.serverCpuMs * 1000) / Math.max(1, r.rate * SECONDS))).toFixed(0);
    const generatorUse = (list: Result[]) =>
      `${(median(list.map((r) => r.generatorCpuMs / (SECONDS * 1000))) * 100).toFixed(0)} %`;
    // The machine's noise: what the hypervisor took during the worst run at this rate.
    const stolen = `${(Math.max(...[...ours, ...kea].map((r) => r.steal)) * 100).toFixed(0)} %`;
    const list = (values: Result[]) => values.map((r) => r.rate.toFixed(0)).join(", ");
    console.log(
      `| ${rate} | ${list(ours)} | ${list(kea)} | ${exchanges.siteboot.toFixed(0)} | ${exchanges.kea.toFixed(0)} | ${ratio.toFixed(2)}× | ${cpuPerExchange(ours)} / ${cpuPerExchange(kea)} | ${generatorUse(ours)} / ${generatorUse(kea)} | ${stolen} |`,
    );
  }
  const peak = (server: "siteboot" | "kea") => Math.max(...medians.map((m) => m[server]));
  const lowest = Math.min(...medians.map((m) => m.siteboot / m.kea));
  console.log(
    `\npeak of the medians: siteboot ${peak("siteboot").toFixed(0)}/s, Kea ${peak("kea").toFixed(0)}/s, ratio ${(peak("siteboot") / peak("kea")).toFixed(2)}×; lowest ratio of medians at any rate ${lowest.toFixed(2)}×`,
  );
}

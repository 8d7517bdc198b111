/**
 * DHCPv4 4-way exchanges per second against siteboot and against kea-dhcp4 with its memfile
 * backend, on the same subnet, in network namespaces this benchmark creates, on two paths (see
 * dhcp-generators.ts): relayed (perfdhcp, which always sets giaddr) and direct (test/bench/dhcp-load.c
 * broadcasting from 0.0.0.0:68 as a phone on the LAN does).
 * - siteboot runs as deployed: the built appliance (dist/main.js serve, DNS and NTP included) with
 *   the systemd unit's environment. Its leases are durable before each ACK; Kea's memfile appends
 *   without fsync. Both keep their leases on a disk (/var/tmp, else the project's tmp/); a run whose
 *   only choice is a file system in memory says so and does not call the leases durable.
 * - Both send the same options in every reply (Kea's are marked always-send, as siteboot sends what
 *   the site configures): the client then does the same work for either server.
 * - The server under test gets the same CPU budget either way: CPU 0, half of it by default (a
 *   cgroup CPU quota, see cpu-budget.ts); the load generator gets CPU 1 to itself. perfdhcp parses every
 *   reply and, on one core of this machine, digests about 7 000 exchanges/s of these replies: a
 *   server with a whole core (or sharing both cores with perfdhcp) is limited by perfdhcp, and the
 *   figure then says how each server's reply timing suits perfdhcp, not how fast the server is.
 *   Each run also reports the server's CPU time per completed exchange and the generator's core use, so
 *   a generator-bound run shows itself.
 * - Every run starts a fresh server. At each offered rate and path the two servers run back to back,
 *   the order alternating by round, and each server's median over the rounds is compared.
 * Bounded: RATES offered, CLIENTS distinct MACs, SECONDS per run, ROUNDS rounds.
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DhcpLab, siteYaml, sleep } from "../dhcp/dhcp-lab.js";
import { canUseNetns } from "../helpers/netns.js";
import { serviceEnvironment } from "../helpers/service-node-flags.js";
import {
  cpuTimes,
  durableDirectory,
  InvalidRun,
  median,
  othersShare,
  stolenShare,
  stopChild,
  waitForOutput,
} from "./bench-kit.js";
import { CpuBudget, processCpuMs } from "./cpu-budget.js";
import { type GeneratorRun, type Path, runGenerator } from "./dhcp-generators.js";

const SECONDS = Number(process.env.DHCP_BENCH_SECONDS ?? 5);
const CLIENTS = Number(process.env.DHCP_BENCH_CLIENTS ?? 200);
/** Offered loads (exchanges/s): below, near and above what either server sustains on half a core. */
const RATES = (process.env.DHCP_BENCH_RATES ?? "2000,4000,6000,9000").split(",").map(Number);
const ROUNDS = Number(process.env.DHCP_BENCH_ROUNDS ?? 4);
/** The paths measured (see dhcp-generators.ts): through a relay agent, and directly as phones do. */
const PATHS = (process.env.DHCP_BENCH_PATHS ?? "relayed,direct").split(",").map((p): Path => {
  if (p === "relayed" || p === "direct") return p;
  throw new Error(`DHCP_BENCH_PATHS: unknown path ${p} (relayed, direct)`);
});
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
/** Server on CPU 0, load generator on CPU 1 (DHCP_BENCH_PIN=0: wherever the scheduler puts them). */
const PIN = process.env.DHCP_BENCH_PIN !== "0" && availableParallelism() >= 2 && which("taskset");
const APPLIANCE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "main.js");

interface Result extends GeneratorRun {
  /** CPU time the server used during the run (all its threads), ms. */
  readonly serverCpuMs: number;
  /** Share of the machine's CPU time the hypervisor gave to others during the run (/proc/stat steal). */
  readonly steal: number;
  /** Share of the machine's CPU time other processes used during the run (a shared machine's noise). */
  readonly others: number;
}

function which(tool: string): boolean {
  try {
    execFileSync("which", [tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** One measured run on `path` at `rate` against the server `serverPid`, after its warm-up. */
function measure(path: Path, ns: string, rate: number, serverPid: number): Result {
  const options = { ns, ifname: "eth0", clients: CLIENTS, pin: PIN };
  if (WARMUP_SECONDS > 0) runGenerator(path, { ...options, rate: WARMUP_RATE, seconds: WARMUP_SECONDS });
  const before = cpuTimes();
  const serverBefore = processCpuMs(serverPid);
  const run = runGenerator(path, { ...options, rate, seconds: SECONDS });
  const serverCpuMs = processCpuMs(serverPid) - serverBefore;
  const after = cpuTimes();
  const others = othersShare(before, serverCpuMs + run.generatorCpuMs, after);
  return { ...run, serverCpuMs, steal: stolenShare(before, after), others };
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
          // definition for 150 (TFTP server address): raw bytes of 198.51.100.2 (the example says "self").
          "option-data": [
            { name: "routers", data: "198.51.100.1" },
            { name: "domain-name-servers", data: "198.51.100.2" },
            { name: "domain-name", data: "contoso.com", "always-send": true },
            { name: "domain-search", data: "contoso.com, fabrikam.com", "always-send": true },
            { name: "ntp-servers", data: "198.51.100.2", "always-send": true },
            { name: "tftp-server-name", data: "198.51.100.2", "always-send": true },
            { code: 150, data: "C6336402", "csv-format": false, "always-send": true },
          ],
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: join(dir, "kea.log") }], severity: "WARN" }],
    },
  });
}

type Server = "siteboot" | "kea";
interface Measured {
  readonly path: Path;
  readonly server: Server;
  readonly rate: number;
  readonly result: Result;
}

/**
 * Where each server keeps its leases during a comparison: prepared once in the lab, then cleared
 * before every fresh server so each run starts from an empty lease database.
 */
export interface LeaseBackends {
  /** What the table compares, printed above it; `disk` is where files go (see leaseNote). */
  describe(disk: { dir: string; name: string; onDisk: boolean }): string;
  prepare(
    lab: DhcpLab,
    disk: string,
  ): Promise<{
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

/** siteboot's journal and Kea's memfile, both in the lease directory. */
const JOURNAL_AND_MEMFILE: LeaseBackends = {
  describe: (disk) => `${leaseNote(disk)}; kea-dhcp4 memfile: no fsync; same options in every reply`,
  async prepare(_lab, disk) {
    const keaLeases = join(disk, "kea-leases4.csv");
    return {
      siteYaml: "",
      keaLeaseDatabase: { type: "memfile", persist: true, name: keaLeases, "lfc-interval": 0 },
      beforeSiteboot: async () => rmSync(join(disk, "state"), { recursive: true, force: true }),
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

/** The load against siteboot and kea-dhcp4, each keeping its leases as `backends` says. */
export async function compareWithKea(backends: LeaseBackends): Promise<void> {
  if (!canUseNetns() || !which("perfdhcp") || !which("kea-dhcp4")) {
    console.log("skipped: needs root (network namespaces), perfdhcp and kea-dhcp4");
    return;
  }
  if (!existsSync(APPLIANCE)) {
    console.log(`skipped: ${APPLIANCE} is not built (npm run build)`);
    return;
  }
  const results: Measured[] = [];
  const share = SERVER_CPU === "none" ? undefined : Number(SERVER_CPU);
  const opened =
    share === undefined ? "no quota asked for" : CpuBudget.open(`siteboot-bench-${process.pid}`, share);
  const budget = typeof opened === "string" ? undefined : opened;
  const lab = new DhcpLab();
  // Both servers' leases go to a disk when there is one: a durable write to memory costs nothing.
  const leaseDisk = durableDirectory("siteboot-dhcp-bench-");
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
    leases = await backends.prepare(lab, leaseDisk.dir);
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
    const stateDir = join(leaseDisk.dir, "state");
    const fresh = leases;
    // As the systemd unit runs it: PATH and the unit's Environment=, not this shell's variables.
    const environment = Object.entries(serviceEnvironment({ PATH: process.env.PATH ?? "/usr/bin:/bin" })).map(
      ([name, value]) => `${name}=${value}`,
    );

    const measureSiteboot = async (path: Path, rate: number): Promise<Result> => {
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
        return measure(path, client, rate, server.pid!);
      } finally {
        await stopChild(server, 5000);
      }
    };
    const measureKea = async (path: Path, rate: number): Promise<Result> => {
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
        return measure(path, client, rate, kea.pid!);
      } finally {
        await stopChild(kea, 5000);
      }
    };

    for (let round = 1; round <= ROUNDS; round++) {
      for (const rate of RATES) {
        for (const path of PATHS) {
          const order = round % 2 === 1 ? (["siteboot", "kea"] as const) : (["kea", "siteboot"] as const);
          for (const server of order) {
            const result =
              server === "siteboot" ? await measureSiteboot(path, rate) : await measureKea(path, rate);
            results.push({ path, server, rate, result });
          }
        }
      }
    }
  } finally {
    await leases?.cleanup();
    await lab.destroy();
    budget?.destroy();
    rmSync(leaseDisk.dir, { recursive: true, force: true });
  }
  const placement = PIN
    ? "server on CPU 0, load generator on CPU 1"
    : "server and load generator placed by the scheduler";
  const quota = budget
    ? `the server limited to ${Math.round(budget.share * 100)} % of a CPU (cgroup CPU quota)`
    : `no CPU quota (${opened as string})`;
  const warmUp =
    WARMUP_SECONDS > 0 ? `${WARMUP_SECONDS} s at ${WARMUP_RATE}/s unmeasured first` : "no warm-up";
  console.log(`${placement}; ${quota}; each fresh server answers ${warmUp}`);
  console.log(
    `${CLIENTS} client MACs, ${SECONDS} s per run, ${ROUNDS} rounds, a fresh server per run, the two servers back to back at each rate and path (order alternating by round)`,
  );
  console.log(backends.describe(leaseDisk));
  for (const path of PATHS) report(path, results);
  // A reference that completed nothing was not working (no sockets, a bad configuration): any
  // ratio against it would be meaningless.
  const dead = results.filter((r) => r.server === "kea" && !(r.result.rate > 0));
  if (dead.length > 0)
    throw new InvalidRun(
      `Kea completed no exchange in ${dead.length} run(s) (${dead.map((r) => `${r.path} at ${r.rate}/s`).join(", ")}): the ratios are void`,
    );
}

/** Where the leases were kept; "durable" only for a file system that is not in memory. */
export function leaseNote(disk: { dir: string; name: string; onDisk: boolean }): string {
  return disk.onDisk
    ? `leases in ${disk.dir} (${disk.name}): siteboot's durable (O_DSYNC) before each ACK`
    : `leases in ${disk.dir} (${disk.name}, in memory): NOT durable, siteboot's O_DSYNC writes cost nothing here (set SITEBOOT_BENCH_DIR to a directory on a disk)`;
}

const PATH_TITLES: Record<Path, string> = {
  relayed: "relayed path: perfdhcp as a relay agent (giaddr set, unicast replies to port 67)",
  direct:
    "direct path, as phones use it: test/bench/dhcp-load.c broadcasting from 0.0.0.0:68 on the interface (no giaddr, broadcast flag, broadcast replies)",
};

/** One table for one path: each server's exchanges/s by round, medians, ratio, CPU and noise. */
function report(path: Path, all: readonly Measured[]): void {
  console.log(`\n${PATH_TITLES[path]}`);
  console.log(
    "| offered/s | siteboot 4-way/s by round | Kea 4-way/s by round | siteboot median | Kea median | ratio of medians | server CPU µs per exchange, siteboot / Kea | generator core use, siteboot / Kea runs | CPU stolen / used by other processes, worst round |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  const medians: { siteboot: number; kea: number }[] = [];
  const anomalies: string[] = [];
  for (const rate of RATES) {
    const runs = (server: Server) =>
      all.filter((r) => r.path === path && r.server === server && r.rate === rate).map((r) => r.result);
    const ours = runs("siteboot");
    const kea = runs("kea");
    for (const [server, list] of [
      ["siteboot", ours],
      ["Kea", kea],
    ] as const)
      for (const r of list) if (r.anomalies) anomalies.push(`${server} at ${rate}/s: ${r.anomalies}`);
    const exchanges = { siteboot: median(ours.map((r) => r.rate)), kea: median(kea.map((r) => r.rate)) };
    medians.push(exchanges);
    const ratio = exchanges.kea > 0 ? `${(exchanges.siteboot / exchanges.kea).toFixed(2)}×` : "—";
    // Work per completed exchange; replies the generator dropped count as work, so this never flatters.
    const cpuPerExchange = (list: Result[]) =>
      median(list.map((r) => (r.serverCpuMs * 1000) / Math.max(1, r.rate * SECONDS))).toFixed(0);
    const generatorUse = (list: Result[]) =>
      `${(median(list.map((r) => r.generatorCpuMs / (SECONDS * 1000))) * 100).toFixed(0)} %`;
    // The machine's noise: what the hypervisor and other processes took during the worst run at this rate.
    const worst = (of: (r: Result) => number) =>
      `${(Math.max(...[...ours, ...kea].map(of)) * 100).toFixed(0)} %`;
    const noise = `${worst((r) => r.steal)} / ${worst((r) => r.others)}`;
    const list = (values: Result[]) => values.map((r) => r.rate.toFixed(0)).join(", ");
    console.log(
      `| ${rate} | ${list(ours)} | ${list(kea)} | ${exchanges.siteboot.toFixed(0)} | ${exchanges.kea.toFixed(0)} | ${ratio} | ${cpuPerExchange(ours)} / ${cpuPerExchange(kea)} | ${generatorUse(ours)} / ${generatorUse(kea)} | ${noise} |`,
    );
  }
  const peak = (server: Server) => Math.max(...medians.map((m) => m[server]));
  const lowest = Math.min(...medians.filter((m) => m.kea > 0).map((m) => m.siteboot / m.kea));
  console.log(
    `peak of the medians: siteboot ${peak("siteboot").toFixed(0)}/s, Kea ${peak("kea").toFixed(0)}/s, ratio ${(peak("siteboot") / peak("kea")).toFixed(2)}×; lowest ratio of medians at any rate ${lowest.toFixed(2)}×`,
  );
  if (anomalies.length > 0) console.log(`replies that completed no exchange: ${anomalies.join("; ")}`);
}

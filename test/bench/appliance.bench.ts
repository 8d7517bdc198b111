/**
 * Start-up and memory of the whole appliance: the time from launching `siteboot serve` until it
 * tells systemd READY=1 (every service listening: DHCP on a veth, DNS, NTP, control), and its
 * resident memory, on a site with 1,000 DNS records and a journal of 10,000 leases. Reference, in
 * the same run: a bare `node` process doing nothing. Goals: ≤ 300 ms and ≤ 80 MB. Resident memory is
 * read twice: 0.3 s after READY=1 (start-up garbage not yet given back) and once settled, after V8's
 * idle-time memory reducer has run (it starts ~8 s after start-up and shrinks the young generation).
 * Runs in a network namespace this benchmark creates (DHCP is never served in the root namespace).
 * Both processes get the environment systemd gives the service (PATH and the unit's Environment=),
 * not the caller's shell environment.
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileLeaseStore } from "../../src/dhcp/leases/lease-store.js";
import { exampleSiteText } from "../helpers/example-site.js";
import { NetnsLab } from "../helpers/netns.js";
import { serviceEnvironment } from "../helpers/service-node-flags.js";
import { median } from "./bench-kit.js";

const RECORDS = 1_000;
const LEASES = 10_000;
const ROUNDS = 5;

function siteText(): string {
  let text = exampleSiteText();
  text = text.replace(/^ {2}bind: .*$/m, "  bind: [198.51.100.2, 127.0.0.1]");
  // A /16-sized pool so 10,000 leases fit: widen the lab subnet.
  text = text
    .replace("subnet: 198.51.100.0/24", "subnet: 198.51.0.0/16")
    .replace(/pools: \[.*\]/, "pools: [198.51.100.100-198.51.100.199, 198.51.120.0-198.51.159.255]");
  const records = Array.from(
    { length: RECORDS },
    (_, i) => `      - host${i} A 198.51.${130 + (i >> 8)}.${i & 255}\n`,
  ).join("");
  return text.replace(/^ {4}contoso\.com:.*\n/m, (line) => line + records);
}

async function seedLeases(dir: string): Promise<void> {
  const store = new FileLeaseStore({ dir });
  await store.open();
  const now = Date.now();
  const puts: Promise<void>[] = [];
  for (let i = 0; i < LEASES; i++) {
    const address = (198 << 24) | (51 << 16) | ((120 + (i >> 8)) << 8) | (i & 255);
    const mac = `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    puts.push(
      store.put({
        address: address >>> 0,
        clientKey: `hw:1:${mac.replaceAll(":", "")}`,
        mac,
        subnet: "198.51.0.0/16",
        state: "active",
        start: now,
        expiresAt: now + 8 * 3600_000,
        vendorClass: "Polycom-SoundPointIP-SPIP_650",
      }),
    );
  }
  await Promise.all(puts);
  await store.close();
}

/** What systemd starts the service with: PATH, the unit's Environment= and its Node.js flags. */
function systemdEnvironment(): NodeJS.ProcessEnv {
  return serviceEnvironment({ PATH: process.env.PATH ?? "/usr/bin:/bin" });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
}

interface Start {
  ms: number;
  rss: number;
  /** The appliance's own account of its start-up phases (the `startupMs` of its serving log line). */
  phases: Record<string, number>;
  /** RSS once it stopped falling (only when asked for). */
  settledRss?: number;
}

async function oneStart(
  lab: NetnsLab,
  ns: string,
  dir: string,
  file: string,
  settle = false,
): Promise<Start> {
  const socket = join(dir, `notify-${Date.now()}.sock`);
  const listener = spawn("python3", [
    "-u",
    "-c",
    "import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint('L')\nwhile True: print(s.recv(4096).decode().split(chr(10))[0])",
    socket,
  ]);
  const said: string[] = [];
  listener.stdout.on("data", (c: Buffer) => said.push(...String(c).split("\n").filter(Boolean)));
  await until(() => said.includes("L"), 5000);
  const started = process.hrtime.bigint();
  const child: ChildProcess = spawn(
    "ip",
    [
      "netns",
      "exec",
      ns,
      process.execPath,
      "dist/main.js",
      "serve",
      "-c",
      file,
      "--state-dir",
      join(dir, "state"),
    ],
    {
      env: { ...systemdEnvironment(), NOTIFY_SOCKET: socket },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let log = "";
  child.stdout?.on("data", (c: Buffer) => (log += String(c)));
  try {
    await until(() => said.includes("READY=1"), 10_000);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const answer = lab.exec(ns, "dig", "@127.0.0.1", "+short", "+tries=1", "+time=2", "host999.contoso.com");
    if (answer.trim() !== "198.51.133.231") throw new Error(`unexpected answer ${answer}`);
    await new Promise((r) => setTimeout(r, 300)); // let the last start-up work finish before reading RSS
    const pid = child.pid as number;
    const rss = rssMb(pid);
    const serving = log
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { startupMs?: Record<string, number> })
      .find((line) => line.startupMs !== undefined);
    const start: Start = { ms, rss, phases: serving?.startupMs ?? {} };
    if (settle) start.settledRss = await settledRss(pid);
    return start;
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    listener.kill("SIGKILL");
  }
}

/** RSS after it has not fallen for 5 s in a row (at most 40 s): the idle appliance's footprint. */
async function settledRss(pid: number): Promise<number> {
  let lowest = rssMb(pid);
  let steady = 0;
  for (let s = 0; s < 40 && steady < 5; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = rssMb(pid);
    if (now < lowest - 0.5) steady = 0;
    else steady++;
    lowest = Math.min(lowest, now);
  }
  return lowest;
}

function bareNode(): { ms: number; rss: number } {
  const started = process.hrtime.bigint();
  const out = execFileSync(
    process.execPath,
    ["-e", "setTimeout(() => { console.log(process.memoryUsage().rss); }, 300)"],
    { encoding: "utf8", env: systemdEnvironment() }, // the same environment as siteboot
  );
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 - 300, rss: Number(out) / 1024 / 1024 };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "siteboot-bench-"));
  const lab = new NetnsLab();
  try {
    const ns = lab.namespace("app");
    const peer = lab.namespace("peer");
    lab.link({ ns, ifname: "lab0", address: "198.51.100.2/16" }, { ns: peer, ifname: "phone0" });
    const file = join(dir, "site.yaml");
    writeFileSync(file, siteText());
    await seedLeases(join(dir, "state"));
    const runs: Start[] = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await oneStart(lab, ns, dir, file, i === ROUNDS - 1));
    const refs = Array.from({ length: ROUNDS }, bareNode);
    const ms = median(runs.map((r) => r.ms));
    const rss = median(runs.map((r) => r.rss));
    const refMs = median(refs.map((r) => r.ms));
    const refRss = median(refs.map((r) => r.rss));
    console.log(
      `site: ${RECORDS} extra DNS records, ${LEASES} leases in the journal; median of ${ROUNDS} starts`,
    );
    console.log("| measure | siteboot | bare node | ratio | goal |");
    console.log("|---|---:|---:|---:|---:|");
    console.log(
      `| start → READY=1 (all services listening) | ${ms.toFixed(0)} ms | ${refMs.toFixed(0)} ms | ${(ms / refMs).toFixed(1)}× | ≤ 300 ms ${ms <= 300 ? "✓" : "✗"} |`,
    );
    console.log(
      `| resident memory 0.3 s after READY=1 | ${rss.toFixed(1)} MB | ${refRss.toFixed(1)} MB | ${(rss / refRss).toFixed(1)}× | ≤ 80 MB ${rss <= 80 ? "✓" : "✗"} |`,
    );
    const settled = runs.at(-1)?.settledRss ?? 0;
    console.log(
      `| resident memory settled (idle, last start) | ${settled.toFixed(1)} MB | ${refRss.toFixed(1)} MB | ${(settled / refRss).toFixed(1)}× | ≤ 80 MB ${settled <= 80 ? "✓" : "✗"} |`,
    );
    const phases = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]?.phases ?? {};
    console.log(
      `\nstart-up phases of the median start, in ms, as the appliance logs them: ${Object.entries(phases)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

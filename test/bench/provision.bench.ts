/**
 * Provisioning benchmark. TFTP: 200 concurrent lock-step read transfers of a 1 MiB file (blksize
 * 1468, as a phone on Ethernet asks) by the C load generator (test/bench/tftp-load.c, which checks
 * every byte), siteboot as deployed (the built program) against dnsmasq's TFTP server, alternating,
 * medians of 5 rounds, with each server's CPU time. A round where either server leaves a transfer
 * incomplete makes the run INVALID. HTTP: requests per second of small per-phone files rendered
 * from a template, over keep-alive connections. Everything on loopback; every round is bounded in
 * time.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serviceEnvironment } from "../helpers/service-node-flags.js";
import { InvalidRun, median, stopChild, waitForOutput } from "./bench-kit.js";
import { processCpuMs } from "./cpu-budget.js";
import { nativeTool } from "./native-tool.js";

const TRANSFERS = 200;
const FILE_BYTES = 1024 * 1024;
const BLKSIZE = 1468;
const FILES = 20;
const ROUNDS = 5;
const ROUND_LIMIT_S = 60;
const SITEBOOT_ADDRESS = "127.0.0.3";
const DNSMASQ_ADDRESS = "127.0.0.2";
const HTTP_REQUESTS = 5000;
const HTTP_CONCURRENCY = 32;

interface Round {
  readonly seconds: number;
  readonly complete: number;
  /** CPU time of the server and of the load generator during the round. */
  readonly serverCpuMs: number;
  readonly clientCpuMs: number;
}

/** What test/bench/tftp-load.c prints. */
export interface TftpLoadResult {
  readonly transfers: number;
  readonly complete: number;
  readonly failed: number;
  readonly unfinished: number;
  readonly corrupt: number;
  readonly errors: number;
  readonly retransmits: number;
  readonly duplicates: number;
  readonly strays: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/**
 * `transfers` concurrent reads from `address`:`port` by the C load generator, transfer i asking for
 * names[i % names.length]; each must arrive identical to the file `expected`.
 */
export function tftpLoad(
  address: string,
  port: number,
  transfers: number,
  blockSize: number,
  limitSeconds: number,
  expected: string,
  names: readonly string[],
): Promise<TftpLoadResult> {
  return new Promise((resolve, reject) => {
    execFile(
      nativeTool("tftp-load"),
      [address, String(port), String(transfers), String(blockSize), String(limitSeconds), expected, ...names],
      { timeout: (limitSeconds + 10) * 1000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`tftp-load failed: ${error.message} ${stderr}`));
        else resolve(JSON.parse(stdout) as TftpLoadResult);
      },
    );
  });
}

async function tftpRound(address: string, serverPid: number, expected: string): Promise<Round> {
  const serverBefore = processCpuMs(serverPid);
  const names = Array.from({ length: FILES }, (_, i) => `files/f${i}.bin`);
  const r = await tftpLoad(address, 69, TRANSFERS, BLKSIZE, ROUND_LIMIT_S, expected, names);
  return {
    seconds: r.seconds,
    complete: r.complete,
    serverCpuMs: processCpuMs(serverPid) - serverBefore,
    clientCpuMs: r.cpuSeconds * 1000,
  };
}

function startSiteboot(dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["dist/main.js", "serve", "-c", join(dir, "site.yaml"), "--state-dir", join(dir, "state")],
    { env: serviceEnvironment(), stdio: ["ignore", "pipe", "pipe"] },
  );
  return started(child, "siteboot serving", "siteboot");
}

function startDnsmasq(root: string): Promise<ChildProcess> {
  const child = spawn(
    "dnsmasq",
    [
      "-k",
      "--conf-file=/dev/null",
      "--port=0",
      "--enable-tftp",
      `--tftp-root=${root}`,
      `--listen-address=${DNSMASQ_ADDRESS}`,
      "--bind-interfaces",
      "--tftp-max=1000",
      "--user=root",
      "--pid-file=",
      "--log-facility=-",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return started(child, "TFTP root", "dnsmasq");
}

/** The child once it says `marker`; a child that does not is stopped, not left behind. */
async function started(child: ChildProcess, marker: string, what: string): Promise<ChildProcess> {
  try {
    await waitForOutput(child, marker, what);
    return child;
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

async function httpRate(port: number): Promise<{ perSecond: number; failed: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
  let next = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < HTTP_REQUESTS) {
      const i = next++;
      const mac = `0004f2${(i % 4096).toString(16).padStart(6, "0")}`;
      const ok = await new Promise<boolean>((resolve) => {
        const req = http.get({ host: SITEBOOT_ADDRESS, port, path: `/cfg/${mac}.xml`, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode === 200));
        });
        req.setTimeout(5000, () => req.destroy());
        req.on("error", () => resolve(false));
      });
      if (!ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return { perSecond: HTTP_REQUESTS / seconds, failed };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "siteboot-bench-prov-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "files"), { recursive: true });
  mkdirSync(join(root, "templates"));
  const content = Buffer.alloc(FILE_BYTES);
  for (let i = 0; i < FILE_BYTES; i++) content[i] = (i * 131) & 0xff;
  for (let i = 0; i < FILES; i++) writeFileSync(join(root, "files", `f${i}.bin`), content);
  const expected = join(dir, "expected.bin");
  writeFileSync(expected, content);
  writeFileSync(
    join(root, "templates", "phone.xml.mustache"),
    '<phone mac="{{MAC}}"><sip user="{{vars.user}}" domain="{{site.sipDomain}}" server="{{site.address}}"/></phone>\n',
  );
  writeFileSync(
    join(dir, "site.yaml"),
    `site: { name: bench, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: ${SITEBOOT_ADDRESS}, bind: [${SITEBOOT_ADDRESS}], ports: { http: 8080 } }
log: { level: info, events: silent }
dhcp: { enabled: false }
dns: { enabled: false }
ntp: { enabled: false }
control: { enabled: false }
provisioning:
  root: root
  vars: { user: bench }
  files: [{ path: "cfg/{mac}.xml", template: templates/phone.xml.mustache }]
  tftp: { maxBlockSize: ${BLKSIZE} }
`,
  );
  let siteboot: ChildProcess | undefined;
  let dnsmasq: ChildProcess | undefined;
  try {
    siteboot = await startSiteboot(dir);
    dnsmasq = await startDnsmasq(root);
    const rounds: Record<"siteboot" | "dnsmasq", Round[]> = {
      siteboot: [],
      dnsmasq: [],
    };
    for (let r = 0; r < ROUNDS; r++) {
      const order: ("siteboot" | "dnsmasq")[] =
        r % 2 === 0 ? ["siteboot", "dnsmasq"] : ["dnsmasq", "siteboot"];
      for (const server of order) {
        const round =
          server === "siteboot"
            ? await tftpRound(SITEBOOT_ADDRESS, siteboot.pid!, expected)
            : await tftpRound(DNSMASQ_ADDRESS, dnsmasq.pid!, expected);
        rounds[server].push(round);
      }
    }
    const figures = (server: "siteboot" | "dnsmasq") => {
      const seconds = median(rounds[server].map((x) => x.seconds));
      const complete = Math.min(...rounds[server].map((x) => x.complete));
      const serverCpu = median(rounds[server].map((x) => x.serverCpuMs)) / 1000;
      const clientCpu = median(rounds[server].map((x) => x.clientCpuMs)) / 1000;
      return {
        seconds,
        complete,
        files: TRANSFERS / seconds,
        mb: (TRANSFERS * FILE_BYTES) / 1e6 / seconds,
        serverCpu,
        clientCpu,
      };
    };
    const s = figures("siteboot");
    const d = figures("dnsmasq");
    console.log(
      `TFTP: ${TRANSFERS} concurrent transfers of 1 MiB, blksize ${BLKSIZE}, median of ${ROUNDS} rounds`,
    );
    console.log(
      "| server | complete (worst round) | seconds | files/s | MB/s | server CPU s | client CPU s |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const [name, f] of [
      ["siteboot", s],
      ["dnsmasq", d],
    ] as const) {
      console.log(
        `| ${name} | ${f.complete}/${TRANSFERS} | ${f.seconds.toFixed(2)} | ${f.files.toFixed(1)} | ${f.mb.toFixed(1)} | ${f.serverCpu.toFixed(2)} | ${f.clientCpu.toFixed(2)} |`,
      );
    }
    const incomplete = (["siteboot", "dnsmasq"] as const).filter(
      (n) => (n === "siteboot" ? s : d).complete < TRANSFERS,
    );
    if (incomplete.length > 0)
      throw new InvalidRun(`${incomplete.join(" and ")} left transfers incomplete: no ratio`);
    console.log(`siteboot / dnsmasq throughput: ${(s.mb / d.mb).toFixed(2)}× (goal ≥ 1.0×)`);
    const h = await httpRate(8080);
    console.log(
      `HTTP: ${HTTP_REQUESTS} requests of per-phone rendered files over ${HTTP_CONCURRENCY} keep-alive connections: ${h.perSecond.toFixed(0)} requests/s (${h.failed} failed)`,
    );
  } finally {
    await stopChild(dnsmasq);
    await stopChild(siteboot);
    rmSync(dir, { recursive: true, force: true });
  }
}

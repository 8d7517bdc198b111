/**
 * Provisioning benchmark. TFTP: 200 concurrent lock-step read transfers of a 1 MiB file (blksize
 * 1468, as a phone on Ethernet asks) by the C load generator (test/bench/tftp-load.c, which checks
 * every byte), siteboot as deployed (the built program) against dnsmasq's TFTP server, alternating,
 * medians of 5 rounds, with each server's CPU time. A round where either server leaves a transfer
 * incomplete makes the run INVALID. HTTP: requests per second of small per-phone files, rendered
 * per request by siteboot and served pre-rendered by nginx (test/bench/http-reference.ts).
 * Everything on loopback; every round is bounded in time.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
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
import { getBody, HTTP_PHONES, type HttpRate, phoneMac, startNginx, wrkRate } from "./http-reference.js";
import { nativeTool } from "./native-tool.js";

const TRANSFERS = 200;
const FILE_BYTES = 1024 * 1024;
const BLKSIZE = 1468;
const FILES = 20;
const ROUNDS = 5;
const ROUND_LIMIT_S = 60;
const SITEBOOT_ADDRESS = "127.0.0.3";
const DNSMASQ_ADDRESS = "127.0.0.2";
const NGINX_ADDRESS = "127.0.0.2";
const HTTP_CONNECTIONS = 32;
const HTTP_SECONDS = 3;
const HTTP_ROUNDS = 3;

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

/** Every phone's file as siteboot renders it: nginx serves these very bytes. */
async function renderedBySiteboot(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < HTTP_PHONES) {
      const path = `cfg/${phoneMac(next++)}.xml`;
      const body = await getBody(SITEBOOT_ADDRESS, 8080, `/${path}`);
      if (body === undefined) throw new Error(`siteboot did not serve /${path}`);
      files.set(path, body);
    }
  };
  await Promise.all(Array.from({ length: HTTP_CONNECTIONS }, worker));
  return files;
}

/** wrk against both, alternating, medians of HTTP_ROUNDS; any failed request makes the run INVALID. */
async function httpComparison(dir: string, sitebootPid: number, nginxPid: number): Promise<void> {
  const servers = {
    siteboot: { address: SITEBOOT_ADDRESS, port: 8080, pid: sitebootPid },
    nginx: { address: NGINX_ADDRESS, port: 8081, pid: nginxPid },
  } as const;
  const rounds: Record<keyof typeof servers, { rate: HttpRate; cpuMs: number }[]> = {
    siteboot: [],
    nginx: [],
  };
  for (let r = 0; r < HTTP_ROUNDS; r++) {
    const order = r % 2 === 0 ? (["siteboot", "nginx"] as const) : (["nginx", "siteboot"] as const);
    for (const name of order) {
      const s = servers[name];
      const before = processCpuMs(s.pid);
      const rate = await wrkRate(dir, s.address, s.port, HTTP_CONNECTIONS, HTTP_SECONDS);
      rounds[name].push({ rate, cpuMs: processCpuMs(s.pid) - before });
    }
  }
  const failed = Object.entries(rounds).filter(([, rs]) =>
    rs.some((x) => x.rate.failed > 0 || !(x.rate.requests > 0)),
  );
  if (failed.length > 0)
    throw new InvalidRun(`HTTP requests failed against ${failed.map(([n]) => n).join(" and ")}: no ratio`);
  const figures = (name: keyof typeof servers) => ({
    perSecond: median(rounds[name].map((x) => x.rate.requestsPerSecond)),
    cpuUsPerRequest: median(rounds[name].map((x) => (x.cpuMs * 1000) / x.rate.requests)),
  });
  const s = figures("siteboot");
  const n = figures("nginx");
  console.log(
    `HTTP: GET of ${HTTP_PHONES} phones' files round-robin, wrk with ${HTTP_CONNECTIONS} keep-alive connections for ${HTTP_SECONDS} s, median of ${HTTP_ROUNDS} rounds`,
  );
  console.log("| server | serves | requests/s | server CPU µs per request |");
  console.log("|---|---|---|---|");
  console.log(
    `| siteboot | rendered per request from the template | ${s.perSecond.toFixed(0)} | ${s.cpuUsPerRequest.toFixed(1)} |`,
  );
  console.log(
    `| nginx | the same bytes, rendered beforehand | ${n.perSecond.toFixed(0)} | ${n.cpuUsPerRequest.toFixed(1)} |`,
  );
  console.log(`siteboot / nginx requests/s: ${(s.perSecond / n.perSecond).toFixed(2)}× (no goal set)`);
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
  let nginx: ChildProcess | undefined;
  try {
    siteboot = await startSiteboot(dir);
    dnsmasq = await startDnsmasq(root);
    const rounds: Record<"siteboot" | "dnsmasq", Round[]> = {
      siteboot: [],
      dnsmasq: [],
    };
    const load = loadavg()[0]!;
    const machineBefore = cpuTimes();
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
    const machineAfter = cpuTimes();
    const ownMs = [...rounds.siteboot, ...rounds.dnsmasq].reduce(
      (a, x) => a + x.serverCpuMs + x.clientCpuMs,
      0,
    );
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
    const share = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log(
      `machine during the TFTP rounds: CPU stolen by the hypervisor ${share(stolenShare(machineBefore, machineAfter))}, used by other processes ${share(othersShare(machineBefore, ownMs, machineAfter))}; load average ${load.toFixed(2)} before`,
    );
    nginx = await startNginx(dir, NGINX_ADDRESS, 8081, await renderedBySiteboot());
    await httpComparison(dir, siteboot.pid!, nginx.pid!);
  } finally {
    await stopChild(nginx);
    await stopChild(dnsmasq);
    await stopChild(siteboot);
    rmSync(dir, { recursive: true, force: true });
  }
}

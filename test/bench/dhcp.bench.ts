/**
 * DHCPv4 4-way exchanges per second: perfdhcp (from Kea) against siteboot and against kea-dhcp4
 * with its memfile backend, on the same subnet, in network namespaces this benchmark creates.
 * siteboot fsyncs every lease before its ACK (group commit); Kea's memfile appends without fsync.
 * Bounded: RATE target, CLIENTS distinct MACs, SECONDS per run.
 */
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DhcpLab, siteYaml, sleep } from "../dhcp/dhcp-lab.js";
import { canUseNetns } from "../helpers/netns.js";
import { serviceEnvironment } from "../helpers/service-node-flags.js";

const SECONDS = Number(process.env.DHCP_BENCH_SECONDS ?? 8);
const CLIENTS = Number(process.env.DHCP_BENCH_CLIENTS ?? 200);
/** Offered loads (exchanges/s): below, near and far above what either server sustains here. */
const RATES = (process.env.DHCP_BENCH_RATES ?? "3000,6000,20000").split(",").map(Number);
const ROUNDS = Number(process.env.DHCP_BENCH_ROUNDS ?? 2);

interface Result {
  readonly rate: number;
  readonly sent: number;
  readonly received: number;
  readonly drops: number;
}

function which(tool: string): boolean {
  try {
    execFileSync("which", [tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** perfdhcp's "Rate: N 4-way exchanges/second" and packet counts. */
function parsePerfdhcp(output: string): Result {
  const rate = Number(/Rate:\s*([\d.]+)\s*4-way exchanges\/second/.exec(output)?.[1] ?? Number.NaN);
  const req = output.slice(Math.max(0, output.indexOf("Statistics for: DISCOVER-OFFER")));
  const sent = Number(/sent packets:\s*(\d+)/.exec(req)?.[1] ?? 0);
  const received = Number(/received packets:\s*(\d+)/.exec(req)?.[1] ?? 0);
  const drops = Number(/drops:\s*(\d+)/.exec(req)?.[1] ?? 0);
  return { rate, sent, received, drops };
}

function perfdhcp(ns: string, rate: number): Result {
  // perfdhcp exits with 3 when packets were dropped; its report is still complete.
  const run = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      ns,
      "perfdhcp",
      "-4",
      "-l",
      "eth0",
      "-r",
      String(rate),
      "-R",
      String(CLIENTS),
      "-p",
      String(SECONDS),
      "-s",
      "42",
    ],
    { encoding: "utf8", timeout: (SECONDS + 30) * 1000 },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  const result = parsePerfdhcp(output);
  if (!Number.isFinite(result.rate)) throw new Error(`perfdhcp output not understood:\n${output}`);
  return result;
}

function keaConfig(dir: string): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: ["lab0"], "dhcp-socket-type": "raw" },
      "lease-database": {
        type: "memfile",
        persist: true,
        name: join(dir, "kea-leases4.csv"),
        "lfc-interval": 0,
      },
      "valid-lifetime": 28800,
      "renew-timer": 14400,
      "rebind-timer": 25200,
      "control-socket": undefined,
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          pools: [{ pool: "198.51.100.10 - 198.51.100.249" }],
          "option-data": [
            { name: "routers", data: "198.51.100.1" },
            { name: "domain-name-servers", data: "198.51.100.2" },
            { name: "domain-name", data: "contoso.com" },
            { name: "domain-search", data: "contoso.com, fabrikam.com" },
            { name: "ntp-servers", data: "198.51.100.2" },
            { name: "tftp-server-name", data: "http://prov.contoso.com/" },
          ],
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: join(dir, "kea.log") }], severity: "WARN" }],
    },
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const timeout = sleep(5000).then(() => child.kill("SIGKILL"));
  await Promise.race([exited, timeout]);
}

export async function run(): Promise<void> {
  if (!canUseNetns() || !which("perfdhcp") || !which("kea-dhcp4")) {
    console.log("skipped: needs root (network namespaces), perfdhcp and kea-dhcp4");
    return;
  }
  const results: { server: string; rate: number; round: number; result: Result }[] = [];
  const lab = new DhcpLab();
  try {
    const app = lab.net.namespace("app");
    const client = lab.net.namespace("cli");
    lab.net.link(
      { ns: app, ifname: "lab0", address: "198.51.100.2/24" },
      { ns: client, ifname: "eth0", address: "198.51.100.251/24" },
    );
    lab.net.exec(client, "ip", "route", "add", "default", "dev", "eth0");
    const site = lab.writeFile(
      "site.yaml",
      siteYaml([["pools: [198.51.100.100-198.51.100.199]", "pools: [198.51.100.10-198.51.100.249]"]]),
    );
    const keaFile = lab.writeFile("kea-dhcp4.json", keaConfig(lab.dir));
    for (let round = 1; round <= ROUNDS; round++) {
      const leaseDir = join(lab.dir, `leases-${round}`);
      const server = await lab.serve(app, site, leaseDir, undefined, {
        SERVE_EVENTS: "none",
        ...serviceEnvironment({}), // as the systemd unit runs it
      });
      for (const rate of RATES)
        results.push({ server: "siteboot", rate, round, result: perfdhcp(client, rate) });
      await stop(server.child);

      // Kea keeps its pid and lock files in these directories; keep them inside the lab.
      const kea = lab.net.spawn(app, "env", [
        `KEA_PIDFILE_DIR=${lab.dir}`,
        `KEA_LOCKFILE_DIR=${lab.dir}`,
        "kea-dhcp4",
        "-c",
        keaFile,
      ]);
      let keaErr = "";
      kea.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        keaErr += chunk;
      });
      kea.stdout?.resume();
      await sleep(1500);
      if (kea.exitCode !== null) throw new Error(`kea-dhcp4 exited: ${keaErr.slice(-1500)}`);
      for (const rate of RATES) results.push({ server: "kea", rate, round, result: perfdhcp(client, rate) });
      await stop(kea);
      const csv = join(lab.dir, "kea-leases4.csv");
      if (existsSync(csv)) execFileSync("rm", ["-f", csv, `${csv}.2`]);
    }
  } finally {
    await lab.destroy();
  }
  console.log(
    `perfdhcp -R ${CLIENTS} -p ${SECONDS} per run, ${ROUNDS} rounds; siteboot fsyncs each lease before its ACK, kea-dhcp4 memfile does not fsync`,
  );
  console.log(
    "| offered/s | round | siteboot 4-way/s | Kea 4-way/s | ratio | siteboot DISCOVER drops | Kea DISCOVER drops |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const rate of RATES) {
    for (let round = 1; round <= ROUNDS; round++) {
      const ours = results.find(
        (r) => r.server === "siteboot" && r.rate === rate && r.round === round,
      )!.result;
      const kea = results.find((r) => r.server === "kea" && r.rate === rate && r.round === round)!.result;
      console.log(
        `| ${rate} | ${round} | ${ours.rate.toFixed(0)} | ${kea.rate.toFixed(0)} | ${(ours.rate / kea.rate).toFixed(2)}× | ${ours.drops}/${ours.sent} | ${kea.drops}/${kea.sent} |`,
      );
    }
  }
  const best = (name: string) =>
    Math.max(...results.filter((r) => r.server === name).map((r) => r.result.rate));
  const ours = best("siteboot");
  const kea = best("kea");
  console.log(
    `\nbest siteboot ${ours.toFixed(0)}/s, best Kea ${kea.toFixed(0)}/s, ratio siteboot/Kea ${(ours / kea).toFixed(2)}×`,
  );
}

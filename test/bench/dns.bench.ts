/**
 * DNS throughput: dnsperf against siteboot, dnsmasq and NSD (rate limiting off everywhere) serving
 * the same CX700 lab records, with the same query file, one after the other in the same run, on
 * 127.0.0.1. Every process started here is stopped by PID. Prints q/s and ratios to dnsmasq.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { serviceEnvironment } from "../helpers/service-node-flags.js";
import { stopChild } from "./bench-kit.js";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const SECONDS = Number(process.env.DNS_BENCH_SECONDS ?? 8);

/** The CX700 sign-in mix: hits, NXDOMAIN in-zone misses, SRV with glue. */
const QUERIES = [
  "time.windows.com.contoso.com A",
  "_ntp._udp.fabrikam.com SRV",
  "dc01.contoso.com A",
  "_sipinternaltls._tcp.fabrikam.com SRV",
  "pool01.contoso.com A",
  "_sipinternal._tcp.fabrikam.com SRV",
  "_sipinternal._tcp.fabrikam.com.contoso.com SRV",
  "_sip._tls.fabrikam.com SRV",
  "_sip._tls.fabrikam.com.contoso.com SRV",
  "_sip._tcp.fabrikam.com SRV",
  "sip.fabrikam.com A",
  "_ldap._tcp.dc._msdcs.contoso.com SRV",
  "contoso.com A",
  "autodiscover.fabrikam.com A",
  "ucupdates-r2.contoso.com A",
];

const ZONE_RECORDS = {
  a: [
    ["contoso.com", "198.51.100.10"],
    ["dc01.contoso.com", "198.51.100.10"],
    ["pool01.contoso.com", "198.51.100.20"],
    ["ucupdates-r2.contoso.com", "198.51.100.20"],
    ["ntp.contoso.com", "198.51.100.2"],
    ["siteboot.contoso.com", "198.51.100.2"],
    ["sip.fabrikam.com", "198.51.100.20"],
    ["autodiscover.fabrikam.com", "198.51.100.30"],
  ],
  srv: [
    ["_sipinternaltls._tcp.fabrikam.com", "pool01.contoso.com", 5061, 0, 0],
    ["_sip._tls.fabrikam.com", "sip.fabrikam.com", 443, 0, 0],
    ["_ntp._udp.fabrikam.com", "ntp.contoso.com", 123, 0, 0],
    ["_ldap._tcp.dc._msdcs.contoso.com", "dc01.contoso.com", 389, 0, 100],
    ["_kerberos._tcp.dc._msdcs.contoso.com", "dc01.contoso.com", 88, 0, 100],
  ],
} as const;

function freePort(): number {
  return 20000 + Math.floor(Math.random() * 30000);
}

async function waitForAnswer(port: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      await exec("dig", [
        "@127.0.0.1",
        "-p",
        String(port),
        "+tries=1",
        "+time=1",
        "+short",
        "sip.fabrikam.com",
        "A",
      ]);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`server on port ${port} never answered`);
}

interface Result {
  readonly name: string;
  readonly qps: number;
  readonly lost: number;
  readonly rcodes: string;
  readonly latencyMs: number;
}

async function dnsperf(name: string, port: number, file: string): Promise<Result> {
  const { stdout } = await exec(
    "dnsperf",
    [
      "-s",
      "127.0.0.1",
      "-p",
      String(port),
      "-d",
      file,
      "-l",
      String(SECONDS),
      "-c",
      "4",
      "-q",
      "200",
      "-t",
      "2",
    ],
    { timeout: (SECONDS + 20) * 1000 },
  );
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? Number.NaN);
  return {
    name,
    qps: num(/Queries per second:\s+([\d.]+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    rcodes: (/Response codes:\s+(.*)/.exec(stdout)?.[1] ?? "").trim(),
    latencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
  };
}

async function withServer(
  name: string,
  start: (port: number) => ChildProcess,
  measure: (port: number) => Promise<Result>,
): Promise<Result | undefined> {
  const port = freePort();
  const child = start(port);
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  try {
    await waitForAnswer(port);
    return await measure(port);
  } catch (error) {
    console.log(
      `${name}: skipped (${error instanceof Error ? error.message : String(error)}) ${stderr.slice(0, 300)}`,
    );
    return undefined;
  } finally {
    await stopChild(child);
  }
}

function nsdConfig(dir: string, port: number): string {
  const soa = (zone: string) =>
    `$ORIGIN ${zone}.\n$TTL 3600\n@ IN SOA siteboot.contoso.com. hostmaster.${zone}. 1 3600 600 86400 300\n@ IN NS siteboot.contoso.com.\n`;
  const rel = (n: string, zone: string) => (n === zone ? "@" : `${n}.`);
  for (const zone of ["contoso.com", "fabrikam.com"]) {
    let text = soa(zone);
    for (const [n, a] of ZONE_RECORDS.a) if (n.endsWith(zone)) text += `${rel(n, zone)} IN A ${a}\n`;
    for (const [n, t, p, pr, w] of ZONE_RECORDS.srv)
      if (n.endsWith(zone)) text += `${n}. IN SRV ${pr} ${w} ${p} ${t}.\n`;
    writeFileSync(join(dir, `${zone}.zone`), text);
  }
  const conf = join(dir, "nsd.conf");
  writeFileSync(
    conf,
    `server:\n  ip-address: 127.0.0.1@${port}\n  port: ${port}\n  server-count: 1\n  username: ""\n  chroot: ""\n  zonesdir: "${dir}"\n  database: ""\n  pidfile: "${dir}/nsd.pid"\n  xfrdfile: "${dir}/xfrd.state"\n  zonelistfile: "${dir}/zone.list"\n  logfile: "${dir}/nsd.log"\n  rrl-ratelimit: 0\n  rrl-whitelist-ratelimit: 0\n  verbosity: 0\nremote-control:\n  control-enable: no\n` +
      ["contoso.com", "fabrikam.com"]
        .map((z) => `zone:\n  name: ${z}\n  zonefile: "${dir}/${z}.zone"\n`)
        .join(""),
  );
  return conf;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "siteboot-dns-bench-"));
  try {
    const file = join(dir, "queries.txt");
    writeFileSync(file, `${QUERIES.join("\n")}\n`);
    const results: Result[] = [];

    const siteboot = await withServer(
      "siteboot",
      (port) =>
        spawn(process.execPath, ["--import", "tsx", join(root, "test/dns/bench-server.ts"), String(port)], {
          cwd: root,
          env: serviceEnvironment(), // as the systemd unit runs it
          stdio: ["ignore", "pipe", "pipe"],
        }),
      (port) => dnsperf("siteboot", port, file),
    );
    if (siteboot) results.push(siteboot);

    const dnsmasqArgs = (port: number) => [
      "--keep-in-foreground",
      "-C",
      "/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--pid-file=",
      `--port=${port}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--local=/contoso.com/",
      "--local=/fabrikam.com/",
      ...ZONE_RECORDS.a.map(([n, a]) => `--host-record=${n},${a}`),
      ...ZONE_RECORDS.srv.map(([n, t, p, pr, w]) => `--srv-host=${n},${t},${p},${pr},${w}`),
    ];
    const dnsmasq = await withServer(
      "dnsmasq",
      (port) => spawn("dnsmasq", dnsmasqArgs(port), { stdio: ["ignore", "ignore", "pipe"] }),
      (port) => dnsperf("dnsmasq", port, file),
    );
    if (dnsmasq) results.push(dnsmasq);

    const nsd = await withServer(
      "nsd",
      (port) => spawn("nsd", ["-d", "-c", nsdConfig(dir, port)], { stdio: ["ignore", "ignore", "pipe"] }),
      (port) => dnsperf("nsd", port, file),
    );
    if (nsd) results.push(nsd);

    const ref = dnsmasq?.qps;
    console.log(
      `dnsperf -l ${SECONDS} -c 4 -q 200, ${QUERIES.length} CX700 sign-in queries in a loop, 127.0.0.1`,
    );
    console.log("| server   |      q/s | × dnsmasq | lost | avg latency | response codes");
    console.log("|----------|---------:|----------:|-----:|------------:|---------------");
    for (const r of results) {
      const ratio = ref ? (r.qps / ref).toFixed(2) : "n/a";
      console.log(
        `| ${r.name.padEnd(8)} | ${r.qps.toFixed(0).padStart(8)} | ${ratio.padStart(9)} | ${String(r.lost).padStart(4)} | ${r.latencyMs.toFixed(3).padStart(8)} ms | ${r.rcodes}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

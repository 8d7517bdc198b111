/**
 * The DHCP benchmark's two load generators, one per path a request can take to the server:
 * - relayed: perfdhcp (from Kea). It always acts as a relay agent: its DHCPv4 requests carry its
 *   own address as giaddr and come from port 67, and servers answer it by unicast to port 67.
 * - direct: test/bench/dhcp-load.c, the path a phone on the server's LAN takes: broadcasts from
 *   0.0.0.0:68 on the interface, no giaddr, replies broadcast back to port 68.
 * Each runs in the client namespace (on CPU 1 when pinning) under bash, whose `times` then reports
 * the generator's CPU time.
 */
import { spawnSync } from "node:child_process";
import { nativeTool } from "./native-tool.js";

export type Path = "relayed" | "direct";

export interface GeneratorRun {
  /** Completed 4-way exchanges (DISCOVER, OFFER, REQUEST, ACK) per second. */
  readonly rate: number;
  /** CPU time the generator used, ms. */
  readonly generatorCpuMs: number;
  /** Replies that did not complete an exchange as expected: NAKs, duplicates, malformed (direct only). */
  readonly anomalies: string;
}

/** perfdhcp's "Rate: N 4-way exchanges/second". */
function parsePerfdhcpRate(output: string): number {
  return Number(/Rate:\s*([\d.]+)\s*4-way exchanges\/second/.exec(output)?.[1] ?? Number.NaN);
}

/** Children's user and system time as bash's `times` prints it last ("0m1.230s 0m0.450s"), ms. */
function childCpuMs(output: string): number {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(output.trimEnd());
  if (!m) return Number.NaN;
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

interface DirectCounts {
  discovers: number;
  offers: number;
  requests: number;
  acks: number;
  naks: number;
  invalid: number;
  duplicate: number;
  errors: number;
  seconds: number;
}

/** dhcp-load's JSON line, then what it saw that a clean exchange does not produce. */
function parseDirect(stdout: string): { rate: number; anomalies: string } {
  const line = stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) return { rate: Number.NaN, anomalies: "" };
  const c = JSON.parse(line) as DirectCounts;
  const odd = Object.entries({ naks: c.naks, invalid: c.invalid, duplicate: c.duplicate, errors: c.errors })
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${n} ${name}`);
  return { rate: c.acks / c.seconds, anomalies: odd.join(", ") };
}

/**
 * One generator run in namespace `ns` out of its interface `ifname`: `rate` exchanges/s offered for
 * `seconds` from `clients` MACs. Throws when the generator's report cannot be read.
 */
export function runGenerator(
  path: Path,
  options: { ns: string; ifname: string; rate: number; seconds: number; clients: number; pin: boolean },
): GeneratorRun {
  const { ns, ifname, rate, seconds, clients, pin } = options;
  const command =
    path === "relayed"
      ? [
          "perfdhcp",
          "-4",
          "-l",
          ifname,
          "-r",
          String(rate),
          "-R",
          String(clients),
          "-p",
          String(seconds),
          "-s",
          "42",
        ]
      : [nativeTool("dhcp-load"), ifname, String(rate), String(seconds), String(clients)];
  const generator = pin ? ["taskset", "-c", "1", ...command] : command;
  // perfdhcp exits with 3 when packets were dropped; its report is still complete.
  const run = spawnSync(
    "ip",
    ["netns", "exec", ns, "bash", "-c", '"$@"; status=$?; times; exit $status', "bash", ...generator],
    { encoding: "utf8", timeout: (seconds + 30) * 1000 },
  );
  const output = `${run.stderr}\n${run.stdout}`;
  if (process.env.DHCP_BENCH_DEBUG)
    console.log(`  ${path} ${rate}/s: ${output.trim().split("\n").slice(-12).join("\n  ")}`);
  const parsed =
    path === "relayed" ? { rate: parsePerfdhcpRate(output), anomalies: "" } : parseDirect(run.stdout);
  if (!Number.isFinite(parsed.rate)) throw new Error(`${command[0]} output not understood:\n${output}`);
  return { ...parsed, generatorCpuMs: childCpuMs(run.stdout) };
}

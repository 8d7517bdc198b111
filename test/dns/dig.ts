/** Runs the real `dig` or `kdig` against a loopback server and parses what it prints. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface DigResult {
  readonly status: string;
  readonly flags: string;
  readonly answer: string[];
  readonly authority: string[];
  readonly additional: string[];
  /** The EDNS UDP size the server announced, when it sent an OPT. */
  readonly udpSize: number | undefined;
  readonly raw: string;
}

export type Tool = "dig" | "kdig";

export async function dig(
  tool: Tool,
  port: number,
  name: string,
  type: string,
  extra: string[] = [],
): Promise<DigResult> {
  const args =
    tool === "dig"
      ? ["@127.0.0.1", "-p", String(port), "+tries=1", "+time=2", "+nostats", ...extra, name, type]
      : ["@127.0.0.1", "-p", String(port), "+retry=0", "+time=2", "+nostats", ...extra, name, type];
  const { stdout } = await run(tool, args, { timeout: 10_000 });
  return parseDig(stdout);
}

export function parseDig(out: string): DigResult {
  const status = /status: (\w+)/.exec(out)?.[1] ?? "";
  const flags = (/;; flags: ([^;]*);/i.exec(out)?.[1] ?? "").trim();
  const section = (title: string): string[] => {
    const lines = out.split("\n");
    const start = lines.findIndex((l) => l.startsWith(`;; ${title} SECTION:`));
    if (start < 0) return [];
    const rows: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (line.trim() === "" || line.startsWith(";;")) break;
      if (line.startsWith(";")) continue;
      rows.push(
        line
          .trim()
          .split(/\s+/)
          .filter((w, i) => !(i === 2 && w === "IN"))
          .join(" "),
      );
    }
    return rows;
  };
  const size = /udp: (\d+)/.exec(out)?.[1] ?? /UDP size: (\d+)/.exec(out)?.[1];
  return {
    status,
    flags,
    answer: section("ANSWER"),
    authority: section("AUTHORITY").map((l) => l.replace(/ SOA (\S+) (\S+) \d+ /, " SOA $1 $2 SERIAL ")),
    additional: section("ADDITIONAL"),
    udpSize: size === undefined ? undefined : Number(size),
    raw: out,
  };
}

/**
 * The Node.js/V8 flags the systemd unit runs `siteboot serve` with, read from its ExecStart line,
 * so the benchmarks measure the service as it is deployed.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const UNIT = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "scripts",
  "systemd",
  "siteboot.service",
);

export function serviceNodeFlags(): string[] {
  const execStart = /^ExecStart=(\S+)\s+(.*)$/m.exec(readFileSync(UNIT, "utf8"));
  if (!execStart) throw new Error(`no ExecStart line in ${UNIT}`);
  const words = (execStart[2] ?? "").split(/\s+/);
  return words.slice(
    0,
    words.findIndex((w) => !w.startsWith("--")),
  );
}

/** The same flags for a child's environment (NODE_OPTIONS), for servers started through a fixture. */
export function serviceNodeOptions(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, NODE_OPTIONS: [env.NODE_OPTIONS ?? "", ...serviceNodeFlags()].join(" ").trim() };
}

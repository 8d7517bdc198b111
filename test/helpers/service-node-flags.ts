/**
 * How the systemd unit runs `siteboot serve`: its Node.js/V8 flags (ExecStart) and its environment
 * (Environment=), read from the unit, so the benchmarks measure the service as it is deployed.
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

function unitText(): string {
  return readFileSync(UNIT, "utf8");
}

/** The flags between the node binary and the program on the ExecStart line. */
export function serviceNodeFlags(): string[] {
  const execStart = /^ExecStart=(\S+)\s+(.*)$/m.exec(unitText());
  if (!execStart) throw new Error(`no ExecStart line in ${UNIT}`);
  const words = (execStart[2] ?? "").split(/\s+/);
  return words.slice(
    0,
    words.findIndex((w) => !w.startsWith("--")),
  );
}

/** The unit's Environment= assignments. */
export function serviceUnitEnvironment(): Record<string, string> {
  const assignments: Record<string, string> = {};
  for (const [, name, value] of unitText().matchAll(/^Environment=([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/gm)) {
    assignments[name as string] = value as string;
  }
  return assignments;
}

/**
 * A child's environment as the unit gives it: `env` plus its Environment= and its flags in
 * NODE_OPTIONS. systemd starts the service from PATH alone, not from the caller's environment; pass
 * `{ PATH }` to measure it that way, since a shell's variables change what is measured:
 * NODE_EXTRA_CA_CERTS, for one, makes every Node.js process read and parse a certificate bundle at
 * start (~60 ms on the reference machine), and the service never has it.
 */
export function serviceEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const options = [env.NODE_OPTIONS ?? "", ...serviceNodeFlags()].join(" ").trim();
  return { ...env, ...serviceUnitEnvironment(), ...(options === "" ? {} : { NODE_OPTIONS: options }) };
}

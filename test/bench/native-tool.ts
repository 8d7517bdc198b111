/**
 * The benchmarks' own load generators are small C programs beside them (test/bench/*.c), built here
 * with the system's cc on first use. A binary is named after a hash of its source, so an edited
 * source is rebuilt and an unchanged one is built once per machine.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const BUILD_DIR = join(tmpdir(), "siteboot-bench-build");

/** Path of the built `test/bench/<name>.c`, compiling it first if needed; throws cc's errors. */
export function nativeTool(name: string): string {
  const source = join(here, `${name}.c`);
  const hash = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 12);
  const binary = join(BUILD_DIR, `${name}-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(BUILD_DIR, { recursive: true });
  // Built beside its final name and renamed: a concurrent run never executes half a binary.
  const partial = `${binary}.${process.pid}`;
  execFileSync("cc", ["-O2", "-Wall", "-Wextra", "-Werror", "-pthread", "-o", partial, source], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  renameSync(partial, binary);
  return binary;
}

/**
 * Finds and loads one of the project's native modules (build/Release/NAME.node, built by
 * `npm install` through node-gyp). The module is looked for next to the running code and in the
 * folders above it, so the same lookup works from src/ under tsx, from the bundled dist/main.js and
 * from an installed copy in /opt/siteboot.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** How many folders above the running file are searched (src/net → repository root is two). */
const LEVELS_UP = 3;

export function loadNativeModule<T>(name: string, purpose: string): T {
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= LEVELS_UP; level++) {
    const candidate = join(dir, "build", "Release", `${name}.node`);
    tried.push(candidate);
    if (existsSync(candidate)) {
      try {
        return require(candidate) as T;
      } catch (error) {
        throw new Error(`${purpose} (${candidate}) cannot be loaded: ${firstLine(error)}; run "npm install"`);
      }
    }
    dir = dirname(dir);
  }
  throw new Error(
    `${purpose} (build/Release/${name}.node) is not built; run "npm install" (looked in ${tried.join(", ")})`,
  );
}

function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}

/**
 * `npm run bench`: runs every test/bench/*.bench.ts in turn. Each benchmark prints its own table of
 * figures and ratios against a reference it runs in the same invocation. Loads stay on loopback (or
 * in namespaces the benchmark creates) and are bounded in count and time.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { InvalidRun } from "./bench-kit.js";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const file of files) {
  console.log(`\n## ${file.replace(/\.bench\.ts$/, "")}`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { run: () => Promise<void> };
    await mod.run();
  } catch (error) {
    failed++;
    if (error instanceof InvalidRun) console.error(`${file}: INVALID: ${error.message}`);
    else console.error(`${file}: ${error instanceof Error ? error.stack : String(error)}`);
  }
}
process.exit(failed === 0 ? 0 : 1);

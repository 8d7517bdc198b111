/**
 * Builds dist/: the whole program in one CommonJS file (dist/siteboot.js), the launcher that starts
 * it (dist/main.js, src/launcher.ts) and V8's code cache for it (dist/siteboot.js.cache).
 * - One file loads several times faster than a tree of ~90 modules (no per-file resolution and
 *   compilation), which is most of the start-up time of `siteboot serve`.
 * - CommonJS, because Node.js builds an ES module facade for every built-in an ES module imports,
 *   reading all its exports and loading what they pull in (~20 ms).
 * - The code cache is made by running `siteboot check` on the example site with the Node.js that
 *   built it, so it holds the compiled site loader too. Another Node.js version rejects it and the
 *   program compiles as usual.
 * Type checking is `npm run typecheck`; this step only transpiles. prom-client (first /metrics
 * scrape) stays outside the bundle: it is loaded from node_modules only when needed.
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // Smaller to parse; identifiers are kept so stack traces in the log stay readable.
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: "warning",
} as const;

rmSync("dist", { recursive: true, force: true });
await build({
  ...common,
  entryPoints: ["src/main.ts"],
  outfile: "dist/siteboot.js",
  external: ["prom-client"],
  sourcemap: "linked",
  // The sources are ES modules; the two that locate files from import.meta.url get the bundle's URL.
  define: { "import.meta.url": "__sitebootUrl" },
  banner: { js: 'const __sitebootUrl = require("node:url").pathToFileURL(__filename).href;' },
});
await build({ ...common, entryPoints: ["src/launcher.ts"], outfile: "dist/main.js" });
writeFileSync("dist/package.json", '{ "type": "commonjs" }\n');

// A clean environment: V8 rejects a cache made with other V8 flags (NODE_OPTIONS).
const { NODE_OPTIONS: _, ...env } = process.env;
execFileSync(process.execPath, ["dist/main.js", "check", "--quiet", "--config", "config/site.yaml"], {
  env: { ...env, SITEBOOT_WRITE_CODE_CACHE: "1" },
  stdio: ["ignore", "ignore", "pipe"], // its problems, if any, are in the error thrown
});

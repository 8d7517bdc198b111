#!/usr/bin/env node
/**
 * dist/main.js: starts the bundled program (dist/siteboot.js) with V8's code cache, so a start
 * does not parse and compile the whole program again (~30 ms). `npm run build` writes the cache
 * (dist/siteboot.js.cache) after running `siteboot check` on the example site, so it also holds the
 * compiled site loader. V8 rejects a cache made by another Node.js version or with other V8 flags,
 * and a cache made from another source is never offered (src/code-cache.ts): the program then
 * compiles as usual and starts the same way, only slower.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import vm from "node:vm";
import { CODE_CACHE_STATE, type CodeCacheState, readCodeCache, writeCodeCache } from "./code-cache.js";

const PARAMETERS = ["exports", "require", "module", "__filename", "__dirname"] as const;

function launch(): void {
  const program = join(__dirname, "siteboot.js");
  const cacheFile = `${program}.cache`;
  const source = readFileSync(program, "utf8");
  const writing = process.env.SITEBOOT_WRITE_CODE_CACHE === "1";
  const cache = writing ? { state: "absent" as const } : readCodeCache(cacheFile, source);
  // Wrapped like a CommonJS module; the wrapper stays on the first line so line numbers hold.
  const script = new vm.Script(`(function (${PARAMETERS.join(", ")}) {${source}\n})`, {
    filename: program,
    ...(cache.data === undefined ? {} : { cachedData: cache.data }),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const state: CodeCacheState =
    cache.data !== undefined && script.cachedDataRejected ? "rejected" : cache.state;
  (globalThis as Record<symbol, unknown>)[CODE_CACHE_STATE] = state;
  if (writing) {
    // After the run, so the cache also holds every function the run compiled.
    process.once("exit", () => writeCodeCache(cacheFile, source, script.createCachedData()));
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, require, module, program, __dirname);
}

launch();

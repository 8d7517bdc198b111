import { CODE_CACHE_STATE, type CodeCacheState } from "../code-cache.js";
import { formatDiagnostic } from "../config/diagnostics.js";
import type { LoadResult } from "../config/load.js";

/** Start-up failed; the message is complete and meant for the operator as it stands. */
export class StartupError extends Error {}

/**
 * Milliseconds spent in each start-up phase, measured from the process's own start: the program's
 * loading counts as the first phase (`program`); `finish` adds the whole (`total`) and CPU time (`cpu`).
 */
export class StartupPhases {
  readonly ms: Record<string, number> = {};
  #mark = 0;

  /** Starts timing: what passed before this is the program's own start-up. */
  begin(): void {
    this.#mark = sinceProcessStart();
    this.ms.program = Math.round(this.#mark);
  }

  /** Ends the phase called `name` and starts the next. */
  phase(name: string): void {
    const at = sinceProcessStart();
    this.ms[name] = Math.round(at - this.#mark);
    this.#mark = at;
  }

  finish(): void {
    this.ms.total = Math.round(sinceProcessStart());
    // CPU time of all the process's threads: the work itself, apart from waiting for a busy machine.
    const cpu = process.cpuUsage();
    this.ms.cpu = Math.round((cpu.user + cpu.system) / 1000);
  }
}

/** Milliseconds since the process began (process.uptime: perf_hooks would add its own load time). */
function sinceProcessStart(): number {
  return process.uptime() * 1000;
}

/** Why the site file cannot start the appliance: every error and warning, one per line. */
export function describeFailure(file: string, result: Extract<LoadResult, { ok: false }>): string {
  const lines = [...result.errors, ...result.warnings].map(formatDiagnostic);
  return `${file} is not valid (${result.errors.length} error${result.errors.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Whether the launcher started the program from V8's code cache; "none" when run without it. */
export function codeCacheState(): CodeCacheState | "none" {
  return ((globalThis as Record<symbol, unknown>)[CODE_CACHE_STATE] as CodeCacheState | undefined) ?? "none";
}

import { type Diagnostic, formatDiagnostic } from "../config/diagnostics.js";
import { type HostNetwork, readHostNetwork } from "../config/host-network.js";
import { loadSite } from "../config/load.js";
import { formatSite } from "./print-site.js";

/**
 * `siteboot check [-c FILE] [--strict]`: the same load path as a real start, plus what this host
 * lacks of what the file names (interfaces, addresses to listen on). Prints every error and
 * warning, then (when valid) the derived zones and option sets. Exit 0 when valid, 1 on errors;
 * with `strict`, what this host lacks is an error too, since `serve` here would fail on it.
 */
export async function runCheck(
  file: string,
  out: (line: string) => void,
  err: (line: string) => void,
  quiet = false,
  strict = false,
  host: HostNetwork = readHostNetwork(),
): Promise<number> {
  const result = await loadSite(file, { host });
  const print = (list: readonly Diagnostic[]) => {
    for (const d of list) err(formatDiagnostic(d));
  };
  const fatal = strict ? result.warnings.filter((w) => w.absentOnHost) : [];
  const warnings = result.warnings.filter((w) => !fatal.includes(w));
  const errors = [
    ...(result.ok ? [] : result.errors),
    ...fatal.map((w) => ({ ...w, severity: "error" as const })),
  ];
  if (errors.length > 0 || !result.ok) {
    print(errors);
    print(warnings);
    err(`${file}: ${count(errors.length, "error")}, ${count(warnings.length, "warning")}`);
    return 1;
  }
  print(warnings);
  if (!quiet) out(formatSite(result.site));
  err(`${file}: OK${warnings.length ? ` (${count(warnings.length, "warning")})` : ""}`);
  return 0;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

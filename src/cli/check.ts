import { type Diagnostic, formatDiagnostic } from "../config/diagnostics.js";
import { loadSite } from "../config/load.js";
import { formatSite } from "./print-site.js";

/**
 * `siteboot check [-c FILE]`: the same load path as a real start. Prints every error and warning,
 * then (when valid) the derived zones and option sets. Exit 0 when valid, 1 on errors.
 */
export async function runCheck(
  file: string,
  out: (line: string) => void,
  err: (line: string) => void,
  quiet = false,
  strict = false,
): Promise<number> {
  const result = await loadSite(file);
  const print = (list: readonly Diagnostic[]) => {
    for (const d of list) err(formatDiagnostic(d));
  };
  if (!result.ok) {
    print(result.errors);
    print(result.warnings);
    err(
      `${file}: ${result.errors.length} error${result.errors.length === 1 ? "" : "s"}, ${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"}`,
    );
    return 1;
  }
  print(result.warnings);
  if (!quiet) out(formatSite(result.site));
  err(
    `${file}: OK${result.warnings.length ? ` (${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"})` : ""}`,
  );
  return 0;
}

import type { Diagnostic, PathSegment } from "./diagnostics.js";
import type { SiteFile } from "./schema.js";
import type { YamlSource } from "./yaml-source.js";

/**
 * Settings written in the file that another setting leaves without effect: each is a warning at
 * its own position, so no value is ignored silently. (A section switched off with `enabled: false`
 * is a choice the file states, so its settings are not listed.)
 */
export function unusedSettings(source: YamlSource, file: SiteFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const unused = (path: PathSegment[], why: string) => {
    if (source.has(path)) out.push(source.diagnostic("warning", path, `has no effect: ${why}`));
  };
  if (file.dns.enabled && file.dns.forward.length === 0) {
    for (const key of ["forwardAllow", "forwardTimeout", "cacheSize"])
      unused(["dns", key], "dns.forward is empty, so nothing is forwarded");
  }
  if (file.ntp.enabled && file.ntp.stratum !== "local")
    unused(["ntp", "localStratum"], `it applies only with stratum: local (stratum is ${file.ntp.stratum})`);
  // Pushed directly rather than through unused(): this warning keeps its established wording.
  if (file.dns.rateLimit.responsesPerSecond === 0) {
    for (const key of Object.keys(file.dns.rateLimit)) {
      const path = ["dns", "rateLimit", key];
      if (key !== "responsesPerSecond" && source.has(path)) {
        out.push(source.diagnostic("warning", path, "ignored: responsesPerSecond 0 turns rate limiting off"));
      }
    }
  }
  return out;
}

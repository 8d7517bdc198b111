import type { PathSegment } from "./diagnostics.js";
import type { SiteFile } from "./schema.js";
import type { LeaseSettings } from "./site.js";

/**
 * The `leases:` block: which backend holds the leases and how to reach it. Settings that the
 * chosen backend would not use are errors at their own position, never ignored.
 */
export function deriveLeases(
  file: SiteFile["leases"],
  error: (path: PathSegment[], message: string) => void,
  seconds: (value: string | number, path: PathSegment[], fallback: number) => number,
): LeaseSettings {
  if (file.backend === "file") {
    if (file.url !== undefined) error(["leases", "url"], "used only with backend: postgresql");
    if (file.pool !== undefined) error(["leases", "pool"], "used only with backend: postgresql");
    if (file.mode !== undefined) error(["leases", "mode"], "used only with backend: postgresql");
    return Object.freeze({ backend: "file" });
  }
  const url = file.url ?? "";
  if (file.url === undefined) {
    error(
      ["leases", "backend"],
      "backend postgresql needs leases.url (postgresql://user@host:port/database)",
    );
  } else if (!/^postgres(?:ql)?:\/\/./.test(url)) {
    error(["leases", "url"], 'expected a URL starting with "postgresql://"');
  }
  const pool = file.pool;
  const ms = (key: "connectTimeout" | "statementTimeout" | "reconnectInterval", fallback: number) => {
    const value = pool?.[key];
    const path = ["leases", "pool", key];
    // seconds() already refuses a duration of zero, so the result is always more than 0.
    return value === undefined ? fallback : seconds(value, path, fallback) * 1000;
  };
  return Object.freeze({
    backend: "postgresql",
    url,
    hotStandby: file.mode === "hot-standby",
    maxConnections: pool?.max ?? 4,
    connectTimeoutMs: ms("connectTimeout", 5000),
    statementTimeoutMs: ms("statementTimeout", 10_000),
    reconnectIntervalMs: ms("reconnectInterval", 1000),
  });
}

import type { LeaseSettings } from "../../config/site.js";
import { FileLeaseStore } from "./file-lease-store.js";
import type { LeaseStore } from "./lease-store.js";

/**
 * The store site.yaml's `leases:` block asks for: the journal in stateDir, or a PostgreSQL
 * database, and where it keeps the leases (for log lines). The PostgreSQL client is loaded only
 * when that backend is chosen, so a box with the journal does not pay for it at start.
 */
export async function leaseStoreFor(
  settings: LeaseSettings | undefined,
  stateDir: string,
  onConnectionChange: (connected: boolean, detail: string) => void,
  onRoleChange: (active: boolean) => void = () => {},
): Promise<{ readonly store: LeaseStore; readonly location: string }> {
  if (settings === undefined || settings.backend === "file") {
    return { store: new FileLeaseStore({ dir: stateDir }), location: stateDir };
  }
  const { PgLeaseStore } = await import("./pg-lease-store.js");
  const store = new PgLeaseStore({
    url: settings.url,
    maxConnections: settings.maxConnections,
    connectTimeoutMs: settings.connectTimeoutMs,
    statementTimeoutMs: settings.statementTimeoutMs,
    reconnectIntervalMs: settings.reconnectIntervalMs,
    onConnectionChange,
    hotStandby: settings.hotStandby,
    onRoleChange,
  });
  return { store, location: store.where };
}

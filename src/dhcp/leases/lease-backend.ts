import type { LeaseSettings } from "../../config/site.js";
import { FileLeaseStore } from "./file-lease-store.js";
import type { LeaseStore } from "./lease-store.js";
import { PgLeaseStore } from "./pg-lease-store.js";

/** The store site.yaml's `leases:` block asks for: the journal in stateDir, or a PostgreSQL database. */
export function leaseStoreFor(
  settings: LeaseSettings | undefined,
  stateDir: string,
  onConnectionChange: (connected: boolean, detail: string) => void,
): LeaseStore {
  if (settings === undefined || settings.backend === "file") return new FileLeaseStore({ dir: stateDir });
  return new PgLeaseStore({
    url: settings.url,
    maxConnections: settings.maxConnections,
    connectTimeoutMs: settings.connectTimeoutMs,
    statementTimeoutMs: settings.statementTimeoutMs,
    reconnectIntervalMs: settings.reconnectIntervalMs,
    onConnectionChange,
  });
}

/** Where a store keeps its leases, for log lines. */
export function leaseStoreLocation(store: LeaseStore, stateDir: string): string {
  return store instanceof PgLeaseStore ? store.where : stateDir;
}

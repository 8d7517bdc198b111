import type { Site } from "./config/site.js";

/**
 * The contract every protocol service (DHCP, DNS, NTP) and the control endpoint keeps with the
 * appliance, which builds them from a Site, reloads them and shuts them down.
 */
export interface Service {
  readonly name: "dhcp" | "dns" | "ntp" | "provisioning" | "control";
  /** Binds sockets and starts answering; rejects with a clear Error when a port or interface is unusable. */
  start(): Promise<void>;
  /**
   * Swaps in a new Site atomically: requests already being answered finish on the old one, the next
   * ones use the new one. Sockets are rebound only when the service's own listen settings changed.
   */
  reload(site: Site): Promise<void>;
  /** Stops taking new work, finishes in-flight replies, releases sockets and flushes state. */
  stop(): Promise<void>;
}

import type { Logger } from "pino";
import { formatIpv4, parseIpv4 } from "../config/ipv4.js";
import type { Site } from "../config/site.js";
import { leaseStoreFor } from "../dhcp/leases/lease-backend.js";
import type { Lease, LeaseStore } from "../dhcp/leases/lease-store.js";
import type { PoolUsage } from "../observe/metrics.js";

/**
 * The lease store the appliance opens (at start, or at the first reload that enables DHCP) and
 * closes last, and what the status views read from it. Empty until a store is created.
 */
export class LeaseState {
  readonly #given: LeaseStore | undefined;
  readonly #log: Logger;
  #store: LeaseStore | undefined;

  /** `given`: a store to use instead of the one site.yaml asks for (tests). */
  constructor(log: Logger, given?: LeaseStore) {
    this.#log = log;
    this.#given = given;
  }

  get store(): LeaseStore | undefined {
    return this.#store;
  }

  /**
   * Makes the store given in the options, or the one site.yaml asks for, and keeps it before it is
   * opened, so that `close` releases it even when opening fails. Resolves with where it keeps the
   * leases. A lost or restored database connection is logged.
   */
  async create(site: Site, dir: string): Promise<string> {
    if (this.#given) {
      this.#store = this.#given;
      return dir;
    }
    const { store, location } = await leaseStoreFor(
      site.leases,
      dir,
      (connected, detail) => {
        if (connected) this.#log.info(detail);
        else this.#log.error(detail);
      },
      (active) =>
        this.#log.warn(
          active
            ? "hot standby: this server is now the active DHCP server"
            : "hot standby: this server lost the active role and stops answering DHCP",
        ),
    );
    this.#store = store;
    return location;
  }

  /** Opens the store `create` made (the journal is replayed here); resolves with its warnings. */
  async open(): Promise<readonly string[]> {
    const { warnings } = await (this.#store as LeaseStore).open();
    return warnings;
  }

  async close(): Promise<void> {
    await this.#store?.close();
  }

  get size(): number {
    return this.#store?.size ?? 0;
  }

  all(): Iterable<Lease> {
    return this.#store?.all() ?? [];
  }

  /** Leases that are active and not yet expired. */
  active(): Lease[] {
    if (!this.#store) return [];
    const now = Date.now();
    return [...this.#store.all()].filter((l) => l.state === "active" && l.expiresAt > now);
  }

  /** The MAC holding an address by an active lease, for the timeline of DNS and NTP clients. */
  activeMac(address: string): string | undefined {
    const value = parseIpv4(address);
    const lease = value === undefined ? undefined : this.#store?.byAddress(value);
    return lease?.state === "active" ? lease.mac : undefined;
  }

  /** Each subnet's pool size and the unexpired active and declined leases in it. */
  poolUsage(site: Site | undefined): PoolUsage[] {
    if (!site || !this.#store) return [];
    const now = Date.now();
    const leases = [...this.#store.all()];
    return site.dhcp.subnets.map((subnet) => {
      const inPool = (a: number) => subnet.pools.some((p) => a >= p.first && a <= p.last);
      const size = subnet.pools.reduce((n, p) => n + (p.last - p.first + 1), 0);
      let active = 0;
      let declined = 0;
      for (const l of leases) {
        if (!inPool(l.address) || l.expiresAt <= now) continue;
        if (l.state === "active") active++;
        else if (l.state === "declined") declined++;
      }
      return { subnet: subnet.cidr.text, size, active, declined };
    });
  }

  /** Every lease by address, as the control endpoint lists them. */
  list(): unknown[] {
    if (!this.#store) return [];
    return [...this.#store.all()]
      .sort((a, b) => a.address - b.address)
      .map((l) => ({
        address: formatIpv4(l.address),
        mac: l.mac,
        state: l.state,
        hostname: l.hostname,
        vendorClass: l.vendorClass,
        subnet: l.subnet,
        start: new Date(l.start).toISOString(),
        expiresAt: new Date(l.expiresAt).toISOString(),
        clientKey: l.clientKey,
      }));
  }
}

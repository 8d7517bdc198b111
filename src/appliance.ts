import type { Logger } from "pino";
import { type FileWatch, watchSiteFile } from "./appliance/file-watch.js";
import { LeaseState } from "./appliance/lease-state.js";
import { controlEndpoint, observeEvents } from "./appliance/observe.js";
import { ReloadRecord, restartOnlyChanges } from "./appliance/reloads.js";
import { RunningServices, SERVICE_ORDER, type ServiceName, serviceEnabled } from "./appliance/services.js";
import { codeCacheState, describeFailure, StartupError, StartupPhases } from "./appliance/startup.js";
import { formatDiagnostic } from "./config/diagnostics.js";
import { formatIpv4 } from "./config/ipv4.js";
import { loadSite } from "./config/load.js";
import type { Site } from "./config/site.js";
import type { LeaseStore } from "./dhcp/leases/lease-store.js";
import { LeaseNames } from "./dns/lease-names.js";
import type { ControlSource } from "./observe/control-server.js";
import type { EventBus } from "./observe/events.js";
import type { Metrics, PoolUsage } from "./observe/metrics.js";
import type { EventStream } from "./observe/status-page/event-stream.js";
import type { ReloadResult, ServedName } from "./observe/status-page/routes.js";
import type { SystemdNotifier } from "./observe/systemd-notify.js";
import type { Timeline } from "./observe/timeline.js";
import type { Service } from "./service.js";

export { StartupError };

export interface ApplianceOptions {
  readonly file: string;
  readonly log: Logger;
  readonly notifier?: SystemdNotifier;
  /** Reload when site.yaml changes on disk (default true). */
  readonly watchFile?: boolean;
  /** Overrides site.stateDir (`serve --state-dir`, the systemd unit's StateDirectory). */
  readonly stateDir?: string;
  /** Lease store to use instead of the file journal under the state directory (tests). */
  readonly leases?: LeaseStore;
  /** DHCP client port (68); tests in namespaces may change it. */
  readonly dhcpClientPort?: number;
}

/**
 * The appliance: builds DHCP, DNS, NTP and the control endpoint from one Site, swaps in a new Site
 * on reload (SIGHUP or the file changing) only when it is valid, and shuts down in order.
 */
export class Appliance implements ControlSource {
  readonly events: EventBus;
  readonly timeline: Timeline;
  readonly metrics: Metrics;
  /** Lease host names served in DNS (`dhcp.ddns`), taken again from the leases at start and reload. */
  readonly leaseNames = new LeaseNames();
  /** Live updates of the status page. */
  readonly #stream: EventStream;
  readonly #options: ApplianceOptions;
  readonly #log: Logger;
  readonly #leases: LeaseState;
  readonly #services: RunningServices;
  readonly #reloads: ReloadRecord;
  readonly #startup = new StartupPhases();
  #site: Site | undefined;
  #loadedAt = 0;
  #startedAt = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #watch: FileWatch | undefined;
  #stopping = false;

  constructor(options: ApplianceOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#leases = new LeaseState(this.#log, options.leases);
    const observers = observeEvents(this.#log, {
      activeMac: (address) => this.#leases.activeMac(address),
      poolUsage: () => this.pools(),
      eventLevel: () => this.#site?.log.eventLevel ?? "debug",
    });
    this.events = observers.events;
    this.timeline = observers.timeline;
    this.metrics = observers.metrics;
    this.#stream = observers.stream;
    this.#reloads = new ReloadRecord(this.events);
    this.#services = new RunningServices({
      events: this.events,
      leases: this.#leases,
      leaseNames: this.leaseNames,
      dhcpClientPort: options.dhcpClientPort,
      control: (site) => controlEndpoint(site, this, this.#stream),
      log: this.#log,
    });
  }

  get site(): Site | undefined {
    return this.#site;
  }

  service(name: ServiceName): Service | undefined {
    return this.#services.get(name);
  }

  async start(): Promise<void> {
    const startup = this.#startup;
    startup.begin();
    const cannotNotify = this.#options.notifier?.unavailable;
    if (cannotNotify) throw new StartupError(cannotNotify);
    const result = await loadSite(this.#options.file);
    startup.phase("site");
    if (!result.ok) throw new StartupError(describeFailure(this.#options.file, result));
    for (const w of result.warnings) this.#log.warn({ diagnostic: w }, formatDiagnostic(w));
    const site = result.site;
    this.#log.level = site.log.level;

    if (site.dhcp.enabled) {
      const location = await this.#leases.create(site, this.#options.stateDir ?? site.stateDir);
      try {
        for (const w of await this.#leases.open()) this.#log.warn({ leases: location }, w);
      } catch (error) {
        throw new StartupError(`lease store: ${(error as Error).message}`);
      }
      startup.phase("leases");
    }

    this.#site = site;
    this.#loadedAt = Date.now();
    this.#restoreLeaseNames(site);
    try {
      for (const name of SERVICE_ORDER) {
        if (!serviceEnabled(site, name)) continue;
        await this.#services.start(name, site);
        startup.phase(name);
      }
    } catch (error) {
      await this.stop();
      throw new StartupError((error as Error).message);
    }
    startup.finish();
    this.#startedAt = Date.now();
    if (this.#options.watchFile !== false) {
      this.#watch = watchSiteFile(this.#options.file, this.#log, () => void this.reload("file changed"));
    }
    this.#options.notifier?.ready(`serving ${site.name}`);
    const services = this.#services.names();
    this.#log.info(
      { site: site.name, file: site.file, services, startupMs: startup.ms, codeCache: codeCacheState() },
      `siteboot serving ${site.name}: ${services.join(", ")} (ready ${startup.ms.total} ms after the process began)`,
    );
  }

  /** Loads the file again; a valid Site replaces the old one, an invalid one is reported and ignored. */
  reload(reason: string): Promise<boolean> {
    const next = this.#queue.then(() => this.#reloadNow(reason));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #reloadNow(reason: string): Promise<boolean> {
    if (this.#stopping || !this.#site) return false;
    this.#options.notifier?.reloading();
    try {
      const result = await loadSite(this.#options.file);
      if (!result.ok) {
        const errors = result.errors.map(formatDiagnostic);
        for (const line of errors) this.#log.error({ reason }, `reload rejected: ${line}`);
        this.#reloads.rejected(reason, errors);
        return false;
      }
      for (const w of result.warnings) this.#log.warn(formatDiagnostic(w));
      const site = result.site;
      const stateDir = this.#options.stateDir;
      for (const w of restartOnlyChanges(this.#site, site, stateDir !== undefined)) this.#log.warn(w);
      if (site.dhcp.enabled && !this.#leases.store) {
        // The lease settings in service: a change made by this reload waits for a restart.
        const location = await this.#leases.create(this.#site, stateDir ?? this.#site.stateDir);
        for (const w of await this.#leases.open()) this.#log.warn({ leases: location }, w);
      }
      this.#restoreLeaseNames(site);
      await this.#services.reload(site);
      this.#site = site;
      this.#log.level = site.log.level;
      this.#loadedAt = Date.now();
      this.#reloads.succeeded(reason);
      return true;
    } catch (error) {
      this.#reloads.failed(reason, (error as Error).message);
      return false;
    } finally {
      this.#options.notifier?.ready("reloaded");
    }
  }

  /** Stops taking new work, lets in-flight replies finish, flushes the lease journal. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#options.notifier?.stopping();
    this.#watch?.close();
    await this.#queue;
    await this.#services.stop();
    await this.#leases.close();
  }

  reloadHistory(): readonly ReloadResult[] {
    return this.#reloads.history();
  }

  pools(): readonly PoolUsage[] {
    return this.#leases.poolUsage(this.#site);
  }

  servedNames(): readonly ServedName[] {
    return this.leaseNames
      .entries()
      .map((n) => ({ name: n.name, address: formatIpv4(n.address), mac: n.mac }));
  }

  /** Lease names from the lease store (the journal after a restart) under the site's rules. */
  #restoreLeaseNames(site: Site): void {
    for (const event of this.leaseNames.rebuild(site, this.#leases.all(), Date.now()))
      this.events.emit(event);
  }

  /** Every service the site asks for is up, and the lease database (if any) is reached. */
  healthy(): boolean {
    if (!this.#site || this.#stopping) return false;
    if (this.#leases.store?.connected === false) return false;
    return this.#services.complete(this.#site);
  }

  status(): unknown {
    const site = this.#site;
    return {
      site: site?.name,
      file: site?.file,
      loadedAt: new Date(this.#loadedAt).toISOString(),
      startedAt: new Date(this.#startedAt).toISOString(),
      startupMs: this.#startup.ms,
      codeCache: codeCacheState(),
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      services: this.#services.states(site),
      ...(this.#leases.store?.connected === undefined
        ? {}
        : { leaseDatabase: this.#leases.store.connected ? "connected" : "unreachable" }),
      reloads: this.#reloads.counts,
      counts: {
        zones: site?.dns.zones.length ?? 0,
        records: site?.dns.zones.reduce((n, z) => n + z.records.length, 0) ?? 0,
        subnets: site?.dhcp.subnets.length ?? 0,
        reservations: site?.dhcp.hosts.length ?? 0,
        leases: this.#leases.size,
        activeLeases: this.#leases.active().length,
        leaseNames: this.leaseNames.size,
        clients: this.timeline.size,
      },
    };
  }

  leases(): unknown[] {
    return this.#leases.list();
  }
}

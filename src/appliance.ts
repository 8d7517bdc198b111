import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";
import { CODE_CACHE_STATE, type CodeCacheState } from "./code-cache.js";
import { formatDiagnostic } from "./config/diagnostics.js";
import { formatIpv4, parseIpv4 } from "./config/ipv4.js";
import { type LoadResult, loadSite } from "./config/load.js";
import type { Site } from "./config/site.js";
import { DhcpService } from "./dhcp/dhcp-service.js";
import { leaseStoreFor } from "./dhcp/leases/lease-backend.js";
import type { Lease, LeaseStore } from "./dhcp/leases/lease-store.js";
import { DnsService } from "./dns/dns-service.js";
import { LeaseNames } from "./dns/lease-names.js";
import { NtpService } from "./ntp/ntp-service.js";
import { ControlServer, type ControlSource } from "./observe/control-server.js";
import { eventLogger } from "./observe/event-log.js";
import { EventBus, type SitebootEvent } from "./observe/events.js";
import { Metrics, type PoolUsage } from "./observe/metrics.js";
import { EventStream } from "./observe/status-page/event-stream.js";
import { type ReloadResult, type ServedName, serveStatusPage } from "./observe/status-page/routes.js";
import type { SystemdNotifier } from "./observe/systemd-notify.js";
import { DEFAULT_TIMELINE_LIMITS, Timeline } from "./observe/timeline.js";
import { leasePhones } from "./provision/lease-phones.js";
import { ProvisioningService } from "./provision/provisioning-service.js";
import type { Service } from "./service.js";

type ServiceName = Service["name"];
const ORDER: readonly ServiceName[] = ["dhcp", "dns", "ntp", "provisioning", "control"];
/** Reloads the status page lists. */
const RELOADS_KEPT = 10;

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

/** Start-up failed; the message is complete and meant for the operator as it stands. */
export class StartupError extends Error {}

/**
 * The appliance: builds DHCP, DNS, NTP and the control endpoint from one Site, swaps in a new Site
 * on reload (SIGHUP or the file changing) only when it is valid, and shuts down in order.
 */
export class Appliance implements ControlSource {
  readonly events = new EventBus();
  readonly timeline = new Timeline(DEFAULT_TIMELINE_LIMITS, (address) => this.#activeMac(address));
  readonly metrics: Metrics;
  /** Lease host names served in DNS (`dhcp.ddns`), taken again from the leases at start and reload. */
  readonly leaseNames = new LeaseNames();
  /** Live updates of the status page. */
  readonly #stream = new EventStream();
  /** The last reloads, oldest first, for the status page. */
  readonly #reloadHistory: ReloadResult[] = [];
  readonly #options: ApplianceOptions;
  readonly #log: Logger;
  readonly #services = new Map<ServiceName, Service>();
  #site: Site | undefined;
  #leases: LeaseStore | undefined;
  #loadedAt = 0;
  #startedAt = 0;
  /** Milliseconds spent in each start-up phase, since the process began (`total`), and CPU time (`cpu`). */
  readonly #startup: Record<string, number> = {};
  #reloads = {
    ok: 0,
    failed: 0,
    last: undefined as undefined | { at: number; ok: boolean; errors?: string[] },
  };
  #queue: Promise<unknown> = Promise.resolve();
  #watcher: FSWatcher | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(options: ApplianceOptions) {
    this.#options = options;
    this.#log = options.log;
    this.metrics = new Metrics(() => this.#poolUsage());
    this.events.subscribe((e) => this.timeline.record(e));
    this.events.subscribe((e) => this.metrics.record(e));
    this.events.subscribe((e) => this.#stream.record(e));
    this.events.subscribe(eventLogger(this.#log, () => this.#site?.log.eventLevel ?? "debug"));
  }

  get site(): Site | undefined {
    return this.#site;
  }

  service(name: ServiceName): Service | undefined {
    return this.#services.get(name);
  }

  async start(): Promise<void> {
    // Milliseconds since the process began (process.uptime: perf_hooks would add its own load time).
    const now = () => process.uptime() * 1000;
    let mark = now();
    // The process's own start-up (Node.js and loading the program) counts as the first phase.
    this.#startup.program = Math.round(mark);
    const phase = (name: string) => {
      const at = now();
      this.#startup[name] = Math.round(at - mark);
      mark = at;
    };
    const cannotNotify = this.#options.notifier?.unavailable;
    if (cannotNotify) throw new StartupError(cannotNotify);
    const result = await loadSite(this.#options.file);
    phase("site");
    if (!result.ok) throw new StartupError(describeFailure(this.#options.file, result));
    for (const w of result.warnings) this.#log.warn({ diagnostic: w }, formatDiagnostic(w));
    const site = result.site;
    this.#log.level = site.log.level;

    if (site.dhcp.enabled) {
      const dir = this.#options.stateDir ?? site.stateDir;
      const { store, location } = await this.#newLeaseStore(site, dir);
      this.#leases = store;
      try {
        const { warnings } = await store.open();
        for (const w of warnings) this.#log.warn({ leases: location }, w);
      } catch (error) {
        throw new StartupError(`lease store: ${(error as Error).message}`);
      }
      phase("leases");
    }

    this.#site = site;
    this.#loadedAt = Date.now();
    this.#restoreLeaseNames(site);
    try {
      for (const name of ORDER) {
        if (!enabled(site, name)) continue;
        await this.#startService(name, site);
        phase(name);
      }
    } catch (error) {
      await this.stop();
      throw new StartupError((error as Error).message);
    }
    this.#startup.total = Math.round(now());
    // CPU time of all the process's threads: the work itself, apart from waiting for a busy machine.
    const cpu = process.cpuUsage();
    this.#startup.cpu = Math.round((cpu.user + cpu.system) / 1000);
    this.#startedAt = Date.now();
    if (this.#options.watchFile !== false) this.#watch();
    this.#options.notifier?.ready(`serving ${site.name}`);
    this.#log.info(
      {
        site: site.name,
        file: site.file,
        services: [...this.#services.keys()],
        startupMs: this.#startup,
        codeCache: codeCacheState(),
      },
      `siteboot serving ${site.name}: ${[...this.#services.keys()].join(", ")} (ready ${this.#startup.total} ms after the process began)`,
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
        this.#reloads.failed++;
        this.#reloads.last = { at: Date.now(), ok: false, errors };
        this.#remember({ ...this.#reloads.last, reason });
        this.#emit({
          type: "service.state",
          at: Date.now(),
          service: "appliance",
          state: "reload-failed",
          detail: `${errors.length} error(s); still serving the previous site`,
        });
        return false;
      }
      for (const w of result.warnings) this.#log.warn(formatDiagnostic(w));
      const site = result.site;
      if (JSON.stringify(site.leases) !== JSON.stringify(this.#site.leases)) {
        this.#log.warn("leases settings changed: take effect at the next restart");
      }
      if (this.#options.stateDir === undefined && site.stateDir !== this.#site.stateDir) {
        this.#log.warn(`stateDir changed to ${site.stateDir}: takes effect at the next restart`);
      }
      if (site.dhcp.enabled && !this.#leases) {
        const { store } = await this.#newLeaseStore(
          this.#site,
          this.#options.stateDir ?? this.#site.stateDir,
        );
        this.#leases = store;
        await store.open();
      }
      this.#restoreLeaseNames(site);
      for (const name of ORDER) {
        const running = this.#services.get(name);
        const wanted = enabled(site, name);
        if (running && wanted) await running.reload(site);
        else if (running && !wanted) {
          await running.stop();
          this.#services.delete(name);
        } else if (!running && wanted) await this.#startService(name, site);
      }
      this.#site = site;
      this.#log.level = site.log.level;
      this.#loadedAt = Date.now();
      this.#reloads.ok++;
      this.#reloads.last = { at: Date.now(), ok: true };
      this.#remember({ ...this.#reloads.last, reason });
      this.#emit({
        type: "service.state",
        at: Date.now(),
        service: "appliance",
        state: "reloaded",
        detail: reason,
      });
      return true;
    } catch (error) {
      this.#reloads.failed++;
      this.#reloads.last = { at: Date.now(), ok: false, errors: [(error as Error).message] };
      this.#remember({ ...this.#reloads.last, reason });
      this.#emit({
        type: "service.error",
        at: Date.now(),
        service: "appliance",
        message: `reload failed: ${(error as Error).message}`,
      });
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
    this.#watcher?.close();
    clearTimeout(this.#watchTimer);
    await this.#queue;
    for (const name of [...ORDER].reverse()) {
      const service = this.#services.get(name);
      if (!service) continue;
      try {
        await service.stop();
      } catch (error) {
        this.#log.error(`${name}: stop failed: ${(error as Error).message}`);
      }
      this.#services.delete(name);
    }
    await this.#leases?.close();
  }

  #remember(result: ReloadResult): void {
    this.#reloadHistory.push(result);
    if (this.#reloadHistory.length > RELOADS_KEPT) this.#reloadHistory.shift();
  }

  reloadHistory(): readonly ReloadResult[] {
    return this.#reloadHistory;
  }

  pools(): readonly PoolUsage[] {
    return this.#poolUsage();
  }

  servedNames(): readonly ServedName[] {
    return this.leaseNames
      .entries()
      .map((n) => ({ name: n.name, address: formatIpv4(n.address), mac: n.mac }));
  }

  /** Lease names from the lease store (the journal after a restart) under the site's rules. */
  #restoreLeaseNames(site: Site): void {
    const leases = this.#leases?.all() ?? [];
    for (const event of this.leaseNames.rebuild(site, leases, Date.now())) this.#emit(event);
  }

  healthy(): boolean {
    if (!this.#site || this.#stopping) return false;
    return ORDER.every((name) => !enabled(this.#site as Site, name) || this.#services.has(name));
  }

  /** The MAC holding an address by an active lease, for the timeline of DNS and NTP clients. */
  #activeMac(address: string): string | undefined {
    const value = parseIpv4(address);
    const lease = value === undefined ? undefined : this.#leases?.byAddress(value);
    return lease?.state === "active" ? lease.mac : undefined;
  }

  status(): unknown {
    const site = this.#site;
    return {
      site: site?.name,
      file: site?.file,
      loadedAt: new Date(this.#loadedAt).toISOString(),
      startedAt: new Date(this.#startedAt).toISOString(),
      startupMs: this.#startup,
      codeCache: codeCacheState(),
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      services: Object.fromEntries(
        ORDER.map((name) => [
          name,
          site && enabled(site, name) ? (this.#services.has(name) ? "running" : "stopped") : "disabled",
        ]),
      ),
      reloads: this.#reloads,
      counts: {
        zones: site?.dns.zones.length ?? 0,
        records: site?.dns.zones.reduce((n, z) => n + z.records.length, 0) ?? 0,
        subnets: site?.dhcp.subnets.length ?? 0,
        reservations: site?.dhcp.hosts.length ?? 0,
        leases: this.#leases?.size ?? 0,
        activeLeases: this.#activeLeases().length,
        leaseNames: this.leaseNames.size,
        clients: this.timeline.size,
      },
    };
  }

  /**
   * The store given in the options, or the one site.yaml asks for; a lost or restored database
   * connection is logged.
   */
  async #newLeaseStore(site: Site, dir: string): Promise<{ store: LeaseStore; location: string }> {
    if (this.#options.leases) return { store: this.#options.leases, location: dir };
    return leaseStoreFor(
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
  }

  leases(): unknown[] {
    if (!this.#leases) return [];
    return [...this.#leases.all()]
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

  async #startService(name: ServiceName, site: Site): Promise<void> {
    const events = this.events;
    let service: Service;
    switch (name) {
      case "dhcp":
        service = new DhcpService(site, {
          events,
          leases: this.#leases as LeaseStore,
          leaseNames: this.leaseNames,
          ...(this.#options.dhcpClientPort === undefined ? {} : { clientPort: this.#options.dhcpClientPort }),
        });
        break;
      case "dns":
        service = new DnsService(site, { events, leaseNames: this.leaseNames });
        break;
      case "ntp":
        service = new NtpService(site, { events });
        break;
      case "provisioning":
        service = new ProvisioningService(site, { events, phones: leasePhones(() => this.#leases) });
        break;
      case "control":
        service = new ControlServer(site, this, (req, res, path) =>
          serveStatusPage(req, res, path, this, this.#stream),
        );
        break;
    }
    await service.start();
    this.#services.set(name, service);
    if (service instanceof ControlServer) {
      const a = service.address();
      this.#emit({
        type: "service.state",
        at: Date.now(),
        service: "control",
        state: "listening",
        detail: a ? `http://${a.address}:${a.port}` : undefined,
      });
    }
  }

  #emit(event: SitebootEvent): void {
    this.events.emit(event);
  }

  /** Editors replace files rather than write them in place, so watch the folder and match the name. */
  #watch(): void {
    const file = this.#options.file;
    try {
      this.#watcher = watch(dirname(file), (_type, changed) => {
        if (changed !== null && changed !== basename(file)) return;
        clearTimeout(this.#watchTimer);
        this.#watchTimer = setTimeout(() => void this.reload("file changed"), 250);
      });
      this.#watcher.on("error", (error) =>
        this.#log.warn(`not watching ${file}: ${error.message}; reload with SIGHUP`),
      );
    } catch (error) {
      this.#log.warn(`not watching ${file}: ${(error as Error).message}; reload with SIGHUP`);
    }
  }

  #activeLeases(): Lease[] {
    if (!this.#leases) return [];
    const now = Date.now();
    return [...this.#leases.all()].filter((l) => l.state === "active" && l.expiresAt > now);
  }

  #poolUsage(): PoolUsage[] {
    const site = this.#site;
    if (!site || !this.#leases) return [];
    const now = Date.now();
    const leases = [...this.#leases.all()];
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
}

function enabled(site: Site, name: ServiceName): boolean {
  switch (name) {
    case "dhcp":
      return site.dhcp.enabled && site.listen.interfaces.length > 0 && site.dhcp.subnets.length > 0;
    case "dns":
      return site.dns.enabled;
    case "ntp":
      return site.ntp.enabled;
    case "provisioning":
      return site.provisioning?.enabled === true;
    case "control":
      return site.control.enabled;
  }
}

function describeFailure(file: string, result: Extract<LoadResult, { ok: false }>): string {
  const lines = [...result.errors, ...result.warnings].map(formatDiagnostic);
  return `${file} is not valid (${result.errors.length} error${result.errors.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Whether the launcher started the program from V8's code cache; "none" when run without it. */
function codeCacheState(): CodeCacheState | "none" {
  return ((globalThis as Record<symbol, unknown>)[CODE_CACHE_STATE] as CodeCacheState | undefined) ?? "none";
}

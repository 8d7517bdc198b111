import type { Logger } from "pino";
import type { Site } from "../config/site.js";
import { DhcpService } from "../dhcp/dhcp-service.js";
import type { LeaseStore } from "../dhcp/leases/lease-store.js";
import { DnsService } from "../dns/dns-service.js";
import type { LeaseNames } from "../dns/lease-names.js";
import { NtpService } from "../ntp/ntp-service.js";
import { ControlServer } from "../observe/control-server.js";
import type { EventBus } from "../observe/events.js";
import { leasePhones } from "../provision/lease-phones.js";
import { ProvisioningService } from "../provision/provisioning-service.js";
import type { Service } from "../service.js";
import type { LeaseState } from "./lease-state.js";

export type ServiceName = Service["name"];
/** The order services start in; they stop in the reverse order. */
export const SERVICE_ORDER: readonly ServiceName[] = ["dhcp", "dns", "ntp", "provisioning", "control"];

/** Whether a Site asks for a service (DHCP also needs an interface and a subnet). */
export function serviceEnabled(site: Site, name: ServiceName): boolean {
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

/** What the services are built with: shared by all of them and kept across reloads. */
export interface ServiceWiring {
  readonly events: EventBus;
  readonly leases: LeaseState;
  readonly leaseNames: LeaseNames;
  /** DHCP client port (68) when not the default. */
  readonly dhcpClientPort: number | undefined;
  /** The control endpoint with the status page. */
  readonly control: (site: Site) => ControlServer;
  readonly log: Logger;
}

/** The running services: built from a Site, started in order, reloaded or stopped as a new Site asks. */
export class RunningServices {
  readonly #wiring: ServiceWiring;
  readonly #running = new Map<ServiceName, Service>();

  constructor(wiring: ServiceWiring) {
    this.#wiring = wiring;
  }

  get(name: ServiceName): Service | undefined {
    return this.#running.get(name);
  }

  /** Names of the running services, in the order they started. */
  names(): ServiceName[] {
    return [...this.#running.keys()];
  }

  /** Whether every service the Site asks for runs. */
  complete(site: Site): boolean {
    return SERVICE_ORDER.every((name) => !serviceEnabled(site, name) || this.#running.has(name));
  }

  /** Each service as /status shows it. */
  states(site: Site | undefined): Record<ServiceName, "running" | "stopped" | "disabled"> {
    return Object.fromEntries(
      SERVICE_ORDER.map((name) => [
        name,
        site && serviceEnabled(site, name) ? (this.#running.has(name) ? "running" : "stopped") : "disabled",
      ]),
    ) as Record<ServiceName, "running" | "stopped" | "disabled">;
  }

  /** Builds and starts one service; the control endpoint says where it listens. */
  async start(name: ServiceName, site: Site): Promise<void> {
    const service = this.#build(name, site);
    await service.start();
    this.#running.set(name, service);
    if (service instanceof ControlServer) {
      const a = service.address();
      this.#wiring.events.emit({
        type: "service.state",
        at: Date.now(),
        service: "control",
        state: "listening",
        detail: a ? `http://${a.address}:${a.port}` : undefined,
      });
    }
  }

  /** Moves to a new Site in start order: running services reload, others start or stop as it asks. */
  async reload(site: Site): Promise<void> {
    for (const name of SERVICE_ORDER) {
      const running = this.#running.get(name);
      const wanted = serviceEnabled(site, name);
      if (running && wanted) await running.reload(site);
      else if (running && !wanted) {
        await running.stop();
        this.#running.delete(name);
      } else if (!running && wanted) await this.start(name, site);
    }
  }

  /** Stops every service in the reverse of start order; one that fails to stop is logged and dropped. */
  async stop(): Promise<void> {
    for (const name of [...SERVICE_ORDER].reverse()) {
      const service = this.#running.get(name);
      if (!service) continue;
      try {
        await service.stop();
      } catch (error) {
        this.#wiring.log.error(`${name}: stop failed: ${(error as Error).message}`);
      }
      this.#running.delete(name);
    }
  }

  #build(name: ServiceName, site: Site): Service {
    const { events, leases, leaseNames, dhcpClientPort } = this.#wiring;
    switch (name) {
      case "dhcp":
        return new DhcpService(site, {
          events,
          leases: leases.store as LeaseStore,
          leaseNames,
          ...(dhcpClientPort === undefined ? {} : { clientPort: dhcpClientPort }),
        });
      case "dns":
        return new DnsService(site, { events, leaseNames });
      case "ntp":
        return new NtpService(site, { events });
      case "provisioning":
        return new ProvisioningService(site, { events, phones: leasePhones(() => leases.store) });
      case "control":
        return this.#wiring.control(site);
    }
  }
}

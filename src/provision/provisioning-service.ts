import { readFile } from "node:fs/promises";
import type { Site } from "../config/site.js";
import type { EventSink } from "../observe/events.js";
import type { Service } from "../service.js";
import { Catalog, NO_PHONES, type PhoneDirectory } from "./catalog.js";
import type { FetchOutcome } from "./fetch-event.js";
import { ProvisioningHttpServer } from "./http-server.js";
import type { ProvisioningSite } from "./provisioning-site.js";
import { forgetTemplates } from "./templates.js";
import { TftpServer } from "./tftp-server.js";

/**
 * The provisioning service: TFTP and HTTP(S) over one catalog of files and per-phone templates.
 * A reload swaps the catalog (transfers under way finish on the old one); the sockets are opened
 * again only when the addresses, ports, servers switched on or the certificate changed.
 */
export class ProvisioningService implements Service {
  readonly name = "provisioning" as const;
  readonly #events: EventSink;
  readonly #phones: PhoneDirectory;
  #site: Site;
  #catalog: Catalog;
  #tftp: TftpServer | undefined;
  #http: ProvisioningHttpServer | undefined;
  #listening = "";

  constructor(site: Site, options: { events: EventSink; phones?: PhoneDirectory }) {
    this.#events = options.events;
    this.#phones = options.phones ?? NO_PHONES;
    this.#site = site;
    this.#catalog = new Catalog(site, provisioningOf(site), this.#phones);
  }

  async start(): Promise<void> {
    await this.#open(this.#site);
    this.#emitState("listening", this.#describe());
  }

  async reload(site: Site): Promise<void> {
    const catalog = new Catalog(site, provisioningOf(site), this.#phones);
    forgetTemplates();
    if (listenKey(site) !== this.#listening) {
      await this.#close();
      await this.#open(site);
    }
    this.#catalog = catalog;
    this.#site = site;
    this.#emitState("reloaded", this.#describe());
  }

  async stop(): Promise<void> {
    await this.#close();
    this.#emitState("stopped");
  }

  /** Bound ports (tests bind port 0). */
  ports(): { tftp?: number; http?: number; https?: number } {
    return { tftp: this.#tftp?.port(), ...this.#http?.ports() };
  }

  async #open(site: Site): Promise<void> {
    const p = provisioningOf(site);
    const handlers = {
      catalog: () => this.#catalog,
      onFetch: (outcome: FetchOutcome) => this.#fetched(outcome),
      onError: (error: Error) =>
        this.#events.emit({
          type: "service.error",
          at: Date.now(),
          service: "provisioning",
          message: error.message,
        }),
    };
    try {
      if (p.tftp.enabled) {
        this.#tftp = new TftpServer(handlers);
        await this.#tftp.listen(p.bind, p.tftp.port);
      }
      if (p.http.enabled) {
        this.#http = new ProvisioningHttpServer(handlers);
        const tls = p.http.https;
        await this.#http.listen(
          p.bind,
          p.http.port,
          tls && { port: tls.port, cert: await readFile(tls.cert), key: await readFile(tls.key) },
        );
      }
    } catch (error) {
      await this.#close();
      throw error;
    }
    this.#listening = listenKey(site);
  }

  async #close(): Promise<void> {
    await Promise.all([this.#tftp?.close(), this.#http?.close()]);
    this.#tftp = undefined;
    this.#http = undefined;
    this.#listening = "";
  }

  #fetched(outcome: FetchOutcome): void {
    const mac = outcome.mac ?? this.#phones.byAddress(outcome.client)?.mac;
    this.#events.emit({ type: "provisioning.fetch", at: Date.now(), ...outcome, ...(mac ? { mac } : {}) });
  }

  #describe(): string {
    const ports = this.ports();
    return [
      ports.tftp === undefined ? undefined : `tftp port ${ports.tftp}`,
      ports.http === undefined ? undefined : `http port ${ports.http}`,
      ports.https === undefined ? undefined : `https port ${ports.https}`,
    ]
      .filter(Boolean)
      .join(", ");
  }

  #emitState(state: "listening" | "stopped" | "reloaded", detail?: string): void {
    this.#events.emit({
      type: "service.state",
      at: Date.now(),
      service: "provisioning",
      state,
      ...(detail ? { detail } : {}),
    });
  }
}

function provisioningOf(site: Site): ProvisioningSite {
  if (!site.provisioning) throw new Error("the site has no provisioning section");
  return site.provisioning;
}

/** What the sockets depend on: a change here means opening them again. */
function listenKey(site: Site): string {
  const p = provisioningOf(site);
  return JSON.stringify([p.bind, p.tftp.enabled && p.tftp.port, p.http.enabled && p.http.port, p.http.https]);
}

import { readFile, realpath } from "node:fs/promises";
import { formatIpv4 } from "../config/ipv4.js";
import type { Site } from "../config/site.js";
import { FileCache } from "./file-cache.js";
import { checkName } from "./path-guard.js";
import type { ProvisionedFile, ProvisioningSite } from "./provisioning-site.js";
import { ResolveCache } from "./resolve-cache.js";
import { type PhoneFacts, renderTemplate, type SiteFacts, templateView } from "./templates.js";

/**
 * What a request name leads to, for TFTP and HTTP alike. The order per request: a file of that name
 * under the root → the first `files` pattern it matches, rendered from its template for the phone →
 * not found. The name is checked before anything is read, and every file found is confined to the
 * root (symbolic links included).
 */

/** A phone's lease as the provisioning servers see it. */
export interface PhoneLease {
  readonly mac: string;
  readonly address: string;
  readonly hostname?: string;
  readonly vendorClass?: string;
}

/** Where phones are looked up: the lease store in the appliance, a table in tests. */
export interface PhoneDirectory {
  byAddress(address: string): PhoneLease | undefined;
  byMac(mac: string): PhoneLease | undefined;
}

export const NO_PHONES: PhoneDirectory = { byAddress: () => undefined, byMac: () => undefined };

export type Lookup =
  | { readonly kind: "file"; readonly path: string; readonly size: number; readonly mtimeMs: number }
  | {
      readonly kind: "rendered";
      readonly bytes: Buffer;
      readonly template: string;
      readonly mac: string;
      /** The template file's modification time. */
      readonly mtimeMs: number;
    }
  | { readonly kind: "directory"; readonly path: string; readonly relative: string }
  /** bad-name: malformed (HTTP 400); forbidden: outside the root (HTTP 403); both TFTP error 2. */
  | { readonly kind: "refused"; readonly reason: "bad-name" | "forbidden"; readonly message: string }
  | { readonly kind: "not-found"; readonly message: string };

export interface RequestContext {
  /** The client's address (for the lease when no MAC is given). */
  readonly client: string;
  /** A MAC named by the request itself (HTTP `?mac=` / `?id=`), lowercase colon form. */
  readonly mac?: string;
}

export class Catalog {
  readonly #site: Site;
  readonly #provisioning: ProvisioningSite;
  readonly #phones: PhoneDirectory;
  readonly #siteFacts: SiteFacts;
  /** Template bytes by size and modification time: an edited template is read again. */
  readonly #templates = new FileCache(1024 * 1024, 16 * 1024 * 1024);
  #resolved: Promise<ResolveCache> | undefined;

  constructor(site: Site, provisioning: ProvisioningSite, phones: PhoneDirectory) {
    this.#site = site;
    this.#provisioning = provisioning;
    this.#phones = phones;
    this.#siteFacts = siteFacts(site, provisioning);
  }

  get provisioning(): ProvisioningSite {
    return this.#provisioning;
  }

  /**
   * Where names are resolved under the root's real path (resolved once: the folder was checked when
   * the site was loaded), each answer kept for a second. A failure is not kept: the folder may be
   * back at the next request.
   */
  #resolver(): Promise<ResolveCache> {
    this.#resolved ??= realpath(this.#provisioning.root).then(
      (root) => new ResolveCache(root),
      (error: unknown) => {
        this.#resolved = undefined;
        throw error;
      },
    );
    return this.#resolved;
  }

  async lookup(name: string, context: RequestContext): Promise<Lookup> {
    const checked = checkName(name);
    if (!checked.ok) return { kind: "refused", reason: checked.reason, message: checked.message };
    const found = await (await this.#resolver()).resolve(checked.segments, checked.relative);
    // A template is read only to render phones' files: its raw text is not served.
    const isTemplate = this.#provisioning.files.some((f) => f.template === checked.relative);
    if (found.ok && !isTemplate) {
      if (found.directory) return { kind: "directory", path: found.path, relative: checked.relative };
      return { kind: "file", path: found.path, size: found.size, mtimeMs: found.mtimeMs };
    }
    if (!found.ok && found.reason === "forbidden")
      return { kind: "refused", reason: "forbidden", message: found.message };
    for (const file of this.#provisioning.files) {
      const fromName = file.pattern.match(checked.relative);
      if (fromName === undefined) continue;
      const mac = fromName || context.mac || this.#phones.byAddress(context.client)?.mac;
      if (!mac) return { kind: "not-found", message: `${file.pattern.text} needs the phone's MAC` };
      return this.render(file, mac);
    }
    return { kind: "not-found", message: found.ok ? "a template, not served as it is" : found.message };
  }

  /** One phone's file from its template. */
  async render(file: ProvisionedFile, mac: string): Promise<Lookup> {
    // The name was checked when the site was loaded; its checked form joins segments with "/".
    const segments = file.template === "" ? [] : file.template.split("/");
    const found = await (await this.#resolver()).resolve(segments, file.template);
    if (!found.ok || found.directory)
      return {
        kind: "not-found",
        message: `template ${file.template}: ${found.ok ? "a folder" : found.message}`,
      };
    const cached = this.#templates.get(found.path, found.size, found.mtimeMs);
    const text = cached ? (await cached).toString("utf8") : await readFile(found.path, "utf8");
    const view = templateView(this.#siteFacts, this.phoneFacts(mac));
    return {
      kind: "rendered",
      bytes: Buffer.from(renderTemplate(text, view, file.xml)),
      template: file.template,
      mac,
      mtimeMs: found.mtimeMs,
    };
  }

  phoneFacts(mac: string): PhoneFacts {
    const lease = this.#phones.byMac(mac);
    const host = this.#site.dhcp.hosts.find((h) => h.mac === mac);
    const own = this.#provisioning.hostVars.get(mac);
    return {
      mac,
      ...(lease
        ? {
            lease: withoutUndefined({
              address: lease.address,
              hostname: lease.hostname,
              vendorClass: lease.vendorClass,
            }),
          }
        : {}),
      ...(host
        ? {
            host: withoutUndefined({
              name: host.name,
              address: host.address === undefined ? undefined : formatIpv4(host.address),
            }),
          }
        : {}),
      vars: { ...this.#provisioning.vars, ...own },
    };
  }
}

export function siteFacts(site: Site, provisioning: ProvisioningSite): SiteFacts {
  const address = site.listen.address;
  const httpPort = provisioning.http.port === 80 ? "" : `:${provisioning.http.port}`;
  const tftpPort = provisioning.tftp.port === 69 ? "" : `:${provisioning.tftp.port}`;
  return {
    name: site.name,
    sipDomain: site.sipDomain,
    dhcpDomain: site.dhcpDomain,
    address,
    httpUrl: `http://${address}${httpPort}`,
    tftpUrl: `tftp://${address}${tftpPort}`,
  };
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

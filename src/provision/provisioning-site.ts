import type { SourceRef } from "../config/site.js";
import type { FilePattern } from "./mac-forms.js";
import type { TemplateVars } from "./templates.js";

/** The `provisioning:` section of a Site, validated. */
export interface ProvisioningSite {
  readonly enabled: boolean;
  /** Absolute; real path resolved when the service starts. */
  readonly root: string;
  readonly vars: TemplateVars;
  /** Reservation vars by MAC (lowercase colon form). */
  readonly hostVars: ReadonlyMap<string, TemplateVars>;
  /** First matching pattern wins. */
  readonly files: readonly ProvisionedFile[];
  readonly tftp: {
    readonly enabled: boolean;
    readonly port: number;
    readonly maxBlockSize: number;
    readonly maxWindowSize: number;
    readonly timeoutMs: number;
    readonly retries: number;
  };
  readonly http: {
    readonly enabled: boolean;
    readonly port: number;
    readonly listing: boolean;
    /** Absolute paths of the PEM certificate and key; absent: no HTTPS. */
    readonly https?: { readonly port: number; readonly cert: string; readonly key: string };
  };
  /** Addresses the TFTP and HTTP servers bind to (listen.bind). */
  readonly bind: readonly string[];
}

export interface ProvisionedFile {
  readonly pattern: FilePattern;
  /** Path of the template relative to the root (checked like any request name). */
  readonly template: string;
  /** Escape {{values}} for XML (Polycom .cfg files are XML too). */
  readonly xml: boolean;
  readonly source: SourceRef;
}

import type { PathSegment } from "../diagnostics.js";
import type { RecordData } from "../site.js";

/** What a vendor module reads: the site's domains and a way to report problems at a key. */
export interface ProfileContext {
  readonly sipDomain: string;
  readonly dhcpDomain: string;
  /** listen.address as an unsigned 32-bit number: what "self" means. */
  readonly self: number;
  /** This box's provisioning ports: a `self` URL names the port when it is not the scheme's own. */
  readonly ports: { readonly http: number; readonly https: number; readonly tftp: number };
  /** Where the profile stands in site.yaml, e.g. ["profiles", "lync"]. */
  readonly path: readonly PathSegment[];
  error(path: readonly PathSegment[], message: string): void;
  warning(path: readonly PathSegment[], message: string): void;
}

/** A record a profile generates; `path` is the profile key it comes from (its FILE:LINE). */
export interface ProfileRecord {
  /** Absolute, lowercase, without the trailing dot. */
  readonly name: string;
  readonly data: RecordData;
  readonly path: readonly PathSegment[];
  /** The zone to create when no zone of the site holds the name. */
  readonly zone: string;
}

/** One option of a generated class: a value in its YAML form, encoded like a site.yaml value. */
export interface ProfileOption {
  readonly code: number;
  readonly value: unknown;
  /** Type spec for codes outside the option table (e.g. "string" for 159 or 242). */
  readonly type?: string;
  readonly path: readonly PathSegment[];
}

export type ProfileMatch =
  | { readonly kind: "glob"; readonly pattern: string }
  | { readonly kind: "enterprise"; readonly enterprise: number };

export interface ProfileClass {
  readonly name: string;
  readonly match: ProfileMatch;
  readonly options: readonly ProfileOption[];
  readonly path: readonly PathSegment[];
}

export interface ProfileOutput {
  readonly records: readonly ProfileRecord[];
  readonly classes: readonly ProfileClass[];
}

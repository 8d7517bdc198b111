import type { PathSegment } from "../diagnostics.js";
import { IPV4_EXPECTED } from "../ipv4.js";
import { addressOf } from "./hosts.js";
import type { ProfileClass, ProfileContext, ProfileMatch, ProfileOption, ProfileOutput } from "./types.js";
import { checkServer, checkUrl } from "./values.js";

/**
 * Helpers the provisioning-only vendor profiles share: the class match (the vendor's own option 60
 * unless `vendorClass` says otherwise) and address lists.
 */
export function vendorClasses(
  ctx: ProfileContext,
  vendorClass: string | undefined,
  defaults: readonly (readonly [name: string, match: ProfileMatch])[],
  options: readonly ProfileOption[],
): ProfileClass[] {
  if (vendorClass !== undefined) {
    const name = defaults[0]?.[0] ?? "vendor";
    return [
      { name, match: { kind: "glob", pattern: vendorClass }, path: [...ctx.path, "vendorClass"], options },
    ];
  }
  return defaults.map(([name, match]) => ({ name, match, path: ctx.path, options }));
}

/** One address or a list; `self` allowed. Reports each bad entry at its own position. */
export function addressList(
  ctx: ProfileContext,
  value: string | readonly string[],
  path: readonly PathSegment[],
): string[] {
  const list = typeof value === "string" ? [value] : value;
  const out: string[] = [];
  list.forEach((text, i) => {
    const address = addressOf(ctx, text);
    if (address === undefined)
      ctx.error(typeof value === "string" ? path : [...path, i], `${IPV4_EXPECTED} or "self", got "${text}"`);
    else out.push(address);
  });
  return out;
}

/**
 * Like addressList, but names are kept as written (for settings that take names or addresses);
 * each entry must be `self`, an address or a host name, reported at its own position.
 */
export function serverList(
  ctx: ProfileContext,
  value: string | readonly string[],
  path: readonly PathSegment[],
): string[] {
  const list = typeof value === "string" ? [value] : value;
  return list
    .filter((text, i) => checkServer(ctx, text, typeof value === "string" ? path : [...path, i]))
    .map((text) => addressOf(ctx, text) ?? text);
}

/** An option carrying the provisioning URL as text: its code, and a type for codes outside the table. */
export interface UrlOption {
  readonly code: number;
  readonly type?: string;
}

/** A vendor whose one setting is the provisioning URL: the options it goes in, and the classes. */
export interface UrlProfile {
  readonly codes: readonly UrlOption[];
  readonly classes: readonly (readonly [name: string, match: ProfileMatch])[];
}

/** Expands a UrlProfile for the `provisioning` (and optional `vendorClass`) of its site.yaml line. */
export function urlProfile(
  ctx: ProfileContext,
  file: { provisioning: string; vendorClass?: string | undefined },
  { codes, classes: defaults }: UrlProfile,
): ProfileOutput {
  const path = [...ctx.path, "provisioning"];
  const url = checkUrl(ctx, file.provisioning, path);
  const options = codes.map(({ code, type }) => ({
    code,
    value: url,
    ...(type === undefined ? {} : { type }),
    path,
  }));
  return { records: [], classes: vendorClasses(ctx, file.vendorClass, defaults, options) };
}

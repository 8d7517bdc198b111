import type { Diagnostic, PathSegment } from "../diagnostics.js";
import { parseDuration } from "../durations.js";
import { IPV4_EXPECTED, parseIpv4 } from "../ipv4.js";
import type { SiteFile } from "../schema.js";
import type { YamlSource } from "../yaml-source.js";

/** What every part of the DHCP derivation reads from and reports to. */
export interface DeriveContext {
  readonly source: YamlSource;
  readonly diagnostics: Diagnostic[];
  readonly self: number;
  readonly ports: SiteFile["listen"]["ports"];
}

/** An address the schema has already checked; reported rather than dropped should the two ever disagree. */
export function ipv4At(ctx: DeriveContext, text: string, path: PathSegment[]): number | undefined {
  const address = parseIpv4(text);
  if (address === undefined)
    ctx.diagnostics.push(ctx.source.diagnostic("error", path, `${IPV4_EXPECTED}, got "${text}"`));
  return address;
}

/** A lease time, refused where it is written when phones could not live with it. */
export function leaseSeconds(
  ctx: DeriveContext,
  value: string | number,
  path: PathSegment[],
): number | undefined {
  const s = seconds(ctx, value, path);
  if (s !== undefined && s < 60) {
    ctx.diagnostics.push(
      ctx.source.diagnostic("error", path, "a lease shorter than 60 seconds makes phones renew constantly"),
    );
  }
  return s;
}

export function seconds(ctx: DeriveContext, value: string | number, path: PathSegment[]): number | undefined {
  const s = parseDuration(value);
  if (s === undefined || !Number.isInteger(s) || s > 0xffffffff) {
    ctx.diagnostics.push(
      ctx.source.diagnostic("error", path, "expected a whole number of seconds or a duration such as 8h"),
    );
    return undefined;
  }
  return s;
}

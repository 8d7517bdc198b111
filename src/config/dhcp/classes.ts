import { globToRegExp } from "../../dhcp/options/index.js";
import type { PathSegment } from "../diagnostics.js";
import type { ClassFile } from "../schema.js";
import type { DhcpClass, VendorClassMatch } from "../site.js";
import type { DeriveContext } from "./context.js";
import { deriveOptions } from "./options.js";

/** A class: a glob on option 60 or an RFC 3925 enterprise match (option 124), and its options. */
export function deriveClass(ctx: DeriveContext, c: ClassFile, path: PathSegment[]): DhcpClass {
  let match: VendorClassMatch;
  const exact = c.match.case === "exact";
  if ("vendor-class" in c.match) {
    const pattern = c.match["vendor-class"];
    match = { kind: "glob", pattern, regex: globToRegExp(pattern, exact), ...(exact ? { exact } : {}) };
  } else {
    const data = c.match.data;
    if (exact && data === undefined) {
      ctx.diagnostics.push(
        ctx.source.diagnostic("warning", [...path, "match", "case"], "case applies only to a data glob"),
      );
    }
    match = {
      kind: "enterprise",
      enterprise: c.match.enterprise,
      ...(data === undefined ? {} : { data: { pattern: data, regex: globToRegExp(data, exact) } }),
      ...(exact && data !== undefined ? { exact } : {}),
    };
  }
  return Object.freeze({
    name: c.name,
    match,
    options: new Map(deriveOptions(ctx, c.options, [...path, "options"], "class")),
    source: ctx.source.at(path),
  });
}

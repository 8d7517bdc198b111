import type * as z from "zod";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { type SiteFile, siteFileSchema } from "./schema.js";
import { didYouMean } from "./suggest.js";
import type { YamlSource } from "./yaml-source.js";

/** Checks the document's shape with the zod schema and turns every issue into a positioned diagnostic. */
export function checkStructure(
  source: YamlSource,
  raw: unknown,
):
  | { data: SiteFile; diagnostics: Diagnostic[] }
  | { data?: undefined; diagnostics: Diagnostic[]; failed: PathSegment[][] } {
  // jitless: the file is checked once per load, so zod's generated fast path (compiled with
  // new Function on first use) would cost more to compile than it saves.
  const result = siteFileSchema.safeParse(raw ?? {}, { jitless: true });
  if (result.success) return { data: result.data, diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const failed: PathSegment[][] = [];
  const report = (issue: z.core.$ZodIssue, prefix: readonly PathSegment[]) => {
    const path = [...prefix, ...issue.path.filter((p): p is PathSegment => typeof p !== "symbol")];
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(path);
      for (const key of issue.keys) {
        failed.push([...path, key]);
        diagnostics.push(
          source.diagnostic("error", [...path, key], `unknown key "${key}"${didYouMean(key, known)}`, {
            key: true,
          }),
        );
      }
      return;
    }
    if (issue.code === "invalid_key") {
      // A key a map does not take (Avaya's settings names): pointed at the key, in the key's own words.
      failed.push(path);
      const reason = issue.issues[0]?.message ?? issue.message;
      diagnostics.push(source.diagnostic("error", path, reason, { key: true }));
      return;
    }
    const meant = issue.code === "invalid_union" ? meantAlternative(issue.errors) : undefined;
    if (meant) {
      for (const inner of meant) report(inner, path);
      return;
    }
    failed.push(path);
    diagnostics.push(source.diagnostic("error", path, describeIssue(issue, source, path)));
  };
  for (const issue of result.error.issues) report(issue, []);
  return { diagnostics, failed };
}

/**
 * The issues of the one alternative of a union of mappings that the value is written in (its keys
 * are that alternative's, only some values are wrong), so each is reported at its own value; when
 * no single alternative fits, the union's own message stands.
 */
function meantAlternative(
  alternatives: readonly (readonly z.core.$ZodIssue[])[],
): z.core.$ZodIssue[] | undefined {
  const fitting = alternatives.filter((issues) =>
    issues.every((i) => i.path.length > 0 && i.code !== "unrecognized_keys"),
  );
  return fitting.length === 1 ? [...(fitting[0] ?? [])] : undefined;
}

/**
 * A copy of the document without the values that failed the shape check, so the meaning of
 * everything else can still be checked in the same run.
 */
export function withoutPaths(raw: unknown, paths: readonly (readonly PathSegment[])[]): unknown {
  const copy: unknown = structuredClone(raw);
  for (const path of paths) {
    if (path.length === 0) return undefined;
    let node: unknown = copy;
    for (const segment of path.slice(0, -1)) {
      node =
        node !== null && typeof node === "object"
          ? (node as Record<string, unknown>)[segment as string]
          : undefined;
    }
    const last = path[path.length - 1] as string | number;
    if (Array.isArray(node) && typeof last === "number") node[last] = undefined;
    else if (node !== null && typeof node === "object")
      delete (node as Record<string, unknown>)[last as string];
  }
  return copy;
}

function describeIssue(issue: z.core.$ZodIssue, source: YamlSource, path: PathSegment[]): string {
  if (issue.code === "invalid_type") {
    if (!source.has(path)) return `is required (expected ${article(issue.expected)})`;
    const got = describeValue(source.valueAt(path));
    if (issue.message.startsWith("Invalid input")) return `expected ${article(issue.expected)}, got ${got}`;
    return `${issue.message}, got ${got}`;
  }
  // A missing value of a union (a class's match, a profile's host) is simply missing.
  if (issue.code === "invalid_union" && !source.has(path)) return `is required: ${issue.message}`;
  if (issue.code === "invalid_value" && issue.message.startsWith("Invalid option")) {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (issue.code === "too_small" && issue.origin === "string") return "must not be empty";
  if (issue.code === "invalid_format") return `${issue.message}, got ${describeValue(source.valueAt(path))}`;
  return issue.message.replace(/^Invalid input: /, "");
}

function article(expected: string): string {
  const words: Record<string, string> = {
    string: "a string",
    number: "a number",
    boolean: "true or false",
    object: "a mapping (key: value)",
    array: "a list",
    int: "a whole number",
  };
  return words[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "object") return "a list or mapping";
  return JSON.stringify(value) ?? String(value);
}

/** Keys the schema allows at a path, for "did you mean" hints. */
function knownKeys(path: readonly PathSegment[]): string[] {
  let schema: unknown = siteFileSchema;
  for (const segment of path) {
    schema = child(unwrap(schema), segment);
    if (schema === undefined) return [];
  }
  const shape = objectShape(unwrap(schema));
  return shape ? Object.keys(shape) : [];
}

interface Def {
  type?: string;
  innerType?: unknown;
  element?: unknown;
  valueType?: unknown;
  shape?: Record<string, unknown>;
  options?: unknown[];
}

function def(schema: unknown): Def {
  return ((schema as { _zod?: { def?: Def } })?._zod?.def ?? {}) as Def;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const d = def(current);
    if (d.innerType === undefined) return current;
    current = d.innerType;
  }
  return current;
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  const d = def(schema);
  if (d.type === "object") return d.shape;
  if (d.type === "union") {
    // For unions of objects, offer every alternative's keys.
    const merged: Record<string, unknown> = {};
    for (const option of d.options ?? []) Object.assign(merged, objectShape(unwrap(option)) ?? {});
    return merged;
  }
  return undefined;
}

function child(schema: unknown, segment: PathSegment): unknown {
  const d = def(schema);
  if (d.type === "array") return d.element;
  if (d.type === "record") return d.valueType;
  const shape = objectShape(schema);
  return shape?.[String(segment)];
}

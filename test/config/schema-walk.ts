import type { PathSegment } from "../../src/config/diagnostics.js";

/**
 * Malformed values for every field the JSON Schema of site.yaml declares, so a field added to the
 * schema is tried without anyone listing it. Each case puts one bad value (or one bad key) into an
 * otherwise valid site; the test expects a diagnostic at exactly that place.
 */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

export interface Case {
  /** Where the bad value (or key) goes. */
  readonly path: readonly PathSegment[];
  readonly value: unknown;
  /** True when the bad thing is the key at `path` (the value there is a valid one from the base). */
  readonly key: boolean;
  /** What the diagnostic must say, when the case is about one kind of value. */
  readonly says?: RegExp;
}

/** Text no field accepts: a space and a "!" fit no address, name, duration, range or record. */
export const BAD = "bad value!";
/** A number where text is expected (`name: 12345` is read by YAML as a number). */
const NUMBER = 12345;

/**
 * Fields whose text is free by nature (names shown to people, a path, globs, the schema's own
 * URL): any string is a meaningful value there, so only a wrong type is malformed. A new string
 * field is held to "some text is refused" until it is added here on purpose.
 */
const FREE_TEXT = [
  "$schema",
  "profiles.*.vendorClass",
  // Template values: whatever text a phone's configuration needs.
  "provisioning.vars.*",
  "dhcp.hosts.*.vars.*",
  // A name phones request: any text the path guard lets through (tested in test/provision).
  "provisioning.files.*.path",
  "site.name",
  "stateDir",
  "dhcp.classes.*.name",
  "dhcp.classes.*.match.vendor-class",
  "dhcp.classes.*.match.data",
  "dhcp.hosts.*.name",
];

export function casesOf(schema: JsonSchema, base: unknown): Case[] {
  const cases: Case[] = [];
  walk(schema, [], base, cases);
  return cases;
}

function walk(node: JsonSchema, path: PathSegment[], base: unknown, cases: Case[]): void {
  if (node.anyOf?.some((alternative) => alternative.type === "object")) {
    const example = valueAt(base, path);
    if (
      example !== undefined &&
      (example === null || typeof example !== "object" || Array.isArray(example))
    ) {
      // The base writes a scalar form here (a host as "self" rather than { name, address }): bad
      // values are tried against the whole union; the mapping forms need an example elsewhere.
      walk({ anyOf: node.anyOf.filter((alternative) => alternative.type !== "object") }, path, base, cases);
      return;
    }
    node.anyOf.forEach((alternative, k) => {
      if (alternative.type !== "object") return;
      const at = exampleOf(alternative, path, base);
      if (at === undefined)
        throw new Error(`the base site has no example of ${path.join(".")} in form ${k + 1}; add one`);
      walk(alternative, at, base, cases);
    });
    return;
  }
  if (node.type === "object" && node.properties) {
    for (const [name, child] of Object.entries(node.properties)) walk(child, [...path, name], base, cases);
    if (node.additionalProperties === false) cases.push({ path: [...path, "bad key!"], value: 1, key: true });
    return;
  }
  if (node.type === "object" && typeof node.additionalProperties === "object") {
    // A map (DHCP options, zones): its first entry in the base is the example of a value.
    const entries = valueAt(base, path);
    const first = entries && typeof entries === "object" ? Object.keys(entries)[0] : undefined;
    if (first === undefined) throw new Error(`the base site has no entry in ${path.join(".")}; add one`);
    cases.push({ path: [...path, "bad key!"], value: valueAt(base, [...path, first]), key: true });
    walk(node.additionalProperties, [...path, first], base, cases);
    return;
  }
  if (node.type === "array" && node.items) {
    walk(node.items, [...path, 0], base, cases);
    return;
  }
  for (const value of malformed(node, path)) cases.push({ path, value, key: false });
  const example = valueAt(base, path);
  // An option's list: its first item is the example.
  const at = Array.isArray(example) ? [...path, 0] : path;
  const typo = ipv4Typo(valueAt(base, at));
  if (typo !== undefined)
    cases.push({ path: at, value: typo, key: false, says: /expected an IPv4 (address|network)/ });
}

/**
 * The example with a part above 255 in its first IPv4 address (an address, a range, a network, a
 * record line, an upstream, an option's list): whatever the field, that is a typo to refuse.
 */
function ipv4Typo(example: unknown): string | undefined {
  if (typeof example !== "string" || !/\d+\.\d+\.\d+\.\d+/.test(example)) return undefined;
  return example.replace(/(\d+\.\d+\.\d+\.)\d+/, "$1350");
}

function malformed(node: JsonSchema, path: readonly PathSegment[]): unknown[] {
  const free = FREE_TEXT.some((pattern) => matches(pattern, path));
  const candidates: unknown[] = [NUMBER, "", "198.51.100.350", -1, 1.5, true];
  for (const alternative of node.anyOf ?? [node]) {
    if (alternative.minimum !== undefined) candidates.push(alternative.minimum - 1);
    if (alternative.maximum !== undefined && alternative.maximum < Number.MAX_SAFE_INTEGER)
      candidates.push(alternative.maximum + 1);
  }
  const out = candidates.filter((v) => !accepts(node, v));
  // Text must be refused somewhere, by the schema or by the meaning checks, unless it is free.
  const text =
    node.type === undefined ||
    node.type === "string" ||
    (Array.isArray(node.type) && node.type.includes("string"));
  if (!free && text) out.push(BAD);
  if (!free && accepts(node, "")) out.push("");
  return [...new Set(out)];
}

/** True when the value passes the (scalar part of the) schema node. */
export function accepts(node: JsonSchema, value: unknown): boolean {
  if (node.anyOf) return node.anyOf.some((alternative) => accepts(alternative, value));
  if (Array.isArray(node.type)) return node.type.some((type) => accepts({ ...node, type }, value));
  if ("const" in node) return value === node.const;
  if (node.enum) return node.enum.includes(value);
  switch (node.type) {
    case undefined:
      return true;
    case "string":
      return (
        typeof value === "string" &&
        value.length >= (node.minLength ?? 0) &&
        value.length <= (node.maxLength ?? Number.POSITIVE_INFINITY) &&
        (node.pattern === undefined || new RegExp(node.pattern).test(value))
      );
    case "integer":
    case "number":
      return (
        typeof value === "number" &&
        (node.type === "number" || Number.isInteger(value)) &&
        value >= (node.minimum ?? Number.NEGATIVE_INFINITY) &&
        value <= (node.maximum ?? Number.POSITIVE_INFINITY)
      );
    case "boolean":
      return typeof value === "boolean";
    default:
      return false;
  }
}

/**
 * Where the base holds an object of this form of a union: the same path, or the same path in
 * another item of the nearest list above it.
 */
function exampleOf(alternative: JsonSchema, path: PathSegment[], base: unknown): PathSegment[] | undefined {
  const fits = (p: PathSegment[]) => {
    const value = valueAt(base, p);
    if (value === null || typeof value !== "object") return false;
    const keys = Object.keys(value);
    return (
      (alternative.required ?? []).every((k) => keys.includes(k)) &&
      keys.every((k) => alternative.properties?.[k] !== undefined)
    );
  };
  const list = path.findLastIndex((s) => typeof s === "number");
  const count = list < 0 ? 1 : ((valueAt(base, path.slice(0, list)) as unknown[] | undefined)?.length ?? 0);
  for (let i = 0; i < count; i++) {
    const candidate = list < 0 ? path : path.map((s, j) => (j === list ? i : s));
    if (fits(candidate)) return candidate;
  }
  return undefined;
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PathSegment, unknown>)[segment];
  }
  return node;
}

function matches(pattern: string, path: readonly PathSegment[]): boolean {
  const parts = pattern.split(".");
  return (
    parts.length === path.length &&
    parts.every((p, i) => p === "*" || (p === String(path[i]) && typeof path[i] !== "number"))
  );
}

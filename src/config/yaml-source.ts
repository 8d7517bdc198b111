import {
  constructFromEvents,
  EVENT_ID,
  type Event,
  getScalarValue,
  parseEvents,
  SCALAR_STYLE,
  YAMLException,
} from "js-yaml";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { formatPath } from "./diagnostics.js";
import type { SourceRef } from "./site.js";

/** Aliases (`*name`) allowed in one file: anchors are for sharing an option set, not for volume. */
const MAX_ALIASES = 100;
/**
 * Nodes the loaded value may hold once every alias is followed. Aliases share one object, so a
 * file of a few lines could otherwise stand for billions of nodes ("billion laughs") and stall
 * every later walk over the value.
 */
const MAX_EXPANDED_NODES = 200_000;

/** Where one node of the document stands: its offset, and where its keys or items stand. */
interface Place {
  /** Offset of the node's first character (its anchor or tag when it has one); -1 for an empty value. */
  readonly start: number;
  readonly entries?: Map<string, { readonly key: number; readonly value: Place }>;
  readonly items?: Place[];
}

/**
 * site.yaml as a YAML value that still knows where every node stands, so each problem can be
 * reported at its own FILE:LINE:COL. Parsed once into js-yaml's event stream: the events build
 * the value and, side by side, the map of places.
 */
export class YamlSource {
  readonly file: string;
  readonly #text: string;
  readonly #errors: Diagnostic[] = [];
  readonly #value: unknown;
  readonly #root: Place | undefined;
  #lineStarts: number[] | undefined;

  constructor(text: string, file: string) {
    this.file = file;
    this.#text = text;
    const loaded = this.#load(text, file);
    this.#value = loaded?.value ?? null;
    this.#root = loaded?.root;
  }

  /** The value and its places, or undefined with the reason in #errors. */
  #load(text: string, file: string): { value: unknown; root: Place | undefined } | undefined {
    try {
      const events = parseEvents(text, { filename: file });
      const placed = placesOf(events, text);
      if (placed.secondDocument !== undefined) {
        this.#errors.push(
          this.#diagnosticAt(
            placed.secondDocument,
            "YAML: the file holds more than one document (a second --- starts one); write one",
          ),
        );
        return undefined;
      }
      const value =
        constructFromEvents(events, { source: text, filename: file, maxAliases: MAX_ALIASES })[0] ?? null;
      if (expandsBeyond(value, MAX_EXPANDED_NODES)) {
        this.#errors.push(
          this.#diagnosticAt(
            0,
            `YAML: the aliases expand to more than ${MAX_EXPANDED_NODES} nodes; write the values out`,
          ),
        );
        return undefined;
      }
      return { value, root: placed.root };
    } catch (error) {
      if (!(error instanceof YAMLException)) throw error;
      this.#errors.push(
        this.#diagnosticAt(error.mark?.position ?? 0, `YAML: ${readableReason(error.reason)}`),
      );
      return undefined;
    }
  }

  /** YAML syntax errors, each at its own position. */
  syntaxDiagnostics(): Diagnostic[] {
    return [...this.#errors];
  }

  /** The document as plain JavaScript values (null for an empty or broken file). */
  toJS(): unknown {
    return this.#value;
  }

  /** True when the document has a value (possibly null) at `path`. */
  has(path: readonly PathSegment[]): boolean {
    return lookup(this.#value, path).found;
  }

  /** The value at `path`, or undefined when there is none. */
  valueAt(path: readonly PathSegment[]): unknown {
    return lookup(this.#value, path).value;
  }

  /** Position of the value at `path` (or its closest existing ancestor). */
  at(path: readonly PathSegment[]): SourceRef {
    return this.#position(this.#offsetAt(path, false));
  }

  /** Position of the key at `path` (for unknown or misplaced keys); the value's when there is no key. */
  keyAt(path: readonly PathSegment[]): SourceRef {
    return this.#position(this.#offsetAt(path, true));
  }

  diagnostic(
    severity: Diagnostic["severity"],
    path: readonly PathSegment[],
    message: string,
    options: { key?: boolean; offset?: SourceRef } = {},
  ): Diagnostic {
    const pos = options.offset ?? (options.key ? this.keyAt(path) : this.at(path));
    return { severity, file: this.file, line: pos.line, col: pos.col, path: formatPath(path), message };
  }

  #diagnosticAt(offset: number, message: string): Diagnostic {
    const pos = this.#position(offset);
    return {
      severity: "error",
      file: this.file,
      line: pos.line,
      col: pos.col,
      path: "",
      message: this.#explained(offset, pos.line, message),
    };
  }

  /** The parser's message, or what the writer most likely has to do when its words would mislead. */
  #explained(offset: number, line: number, message: string): string {
    // YAML reserves "@" and "`": a plain value cannot start with them, and the parser then speaks
    // of indentation or commas. Zone records are where an unquoted "@" (the apex) turns up.
    const reserved = this.#text[offset];
    const lineStart = this.#lines()[line - 1] ?? 0;
    const startsValue = /(^|[-:[{,?])[ \t]*$/.test(this.#text.slice(lineStart, offset));
    if ((reserved === "@" || reserved === "`") && startsValue) {
      return `YAML: a value cannot start with an unquoted "${reserved}" (YAML reserves it): quote the whole value, e.g. - "@ A 198.51.100.10"`;
    }
    // A record line that starts with a quoted "@" ends the YAML string early: say how to write it.
    if (/^\s*-\s*["']@["']\s+\S/.test(this.#lineText(line)))
      return `${message} (quote the whole record line, e.g. - "@ A 198.51.100.10")`;
    return message;
  }

  #offsetAt(path: readonly PathSegment[], wantKey: boolean): number {
    let place = this.#root;
    let last = place !== undefined && place.start >= 0 ? place.start : 0;
    for (let i = 0; i < path.length && place !== undefined; i++) {
      const segment = path[i] as PathSegment;
      let next: Place | undefined;
      if (place.entries !== undefined) {
        const entry = place.entries.get(String(segment));
        if (entry === undefined) return last;
        if (i === path.length - 1 && wantKey) return entry.key;
        // An empty value has no place of its own: its key stands for it.
        last = entry.key;
        next = entry.value;
      } else if (place.items !== undefined && typeof segment === "number") {
        next = place.items[segment];
      }
      if (next === undefined) return last;
      if (next.start >= 0) last = next.start;
      place = next;
    }
    return last;
  }

  #position(offset: number): SourceRef {
    const starts = this.#lines();
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return { file: this.file, line: low + 1, col: offset - (starts[low] as number) + 1 };
  }

  #lines(): number[] {
    if (this.#lineStarts === undefined) {
      const starts = [0];
      for (let i = this.#text.indexOf("\n"); i !== -1; i = this.#text.indexOf("\n", i + 1))
        starts.push(i + 1);
      this.#lineStarts = starts;
    }
    return this.#lineStarts;
  }

  #lineText(line: number): string {
    const starts = this.#lines();
    return this.#text.slice(starts[line - 1] ?? 0, starts[line] ?? this.#text.length);
  }
}

interface OpenCollection {
  readonly place: Place;
  /** In a mapping: the key read and waiting for its value. */
  key?: { readonly text: string | undefined; readonly start: number } | undefined;
}

/** The places of the first document's nodes, and where a second document starts if there is one. */
function placesOf(
  events: readonly Event[],
  text: string,
): { readonly root?: Place; readonly secondDocument?: number } {
  const open: OpenCollection[] = [];
  let root: Place | undefined;
  let documents = 0;
  let firstExplicit = false;
  /** Where the second document starts: its first node, or else (it is empty) its "---". */
  const second = (start: number) => {
    if (start >= 0) return { secondDocument: start };
    const markers = [...text.matchAll(/^---/gm)];
    return { secondDocument: markers[firstExplicit ? 1 : 0]?.index ?? 0 };
  };
  const attach = (place: Place, keyText: () => string | undefined) => {
    const parent = open.at(-1);
    if (parent === undefined) {
      root ??= place;
      return;
    }
    if (parent.place.items !== undefined) {
      parent.place.items.push(place);
    } else if (parent.key === undefined) {
      parent.key = { text: keyText(), start: place.start };
    } else {
      if (parent.key.text !== undefined) {
        parent.place.entries?.set(parent.key.text, { key: parent.key.start, value: place });
      }
      parent.key = undefined;
    }
  };
  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        documents++;
        if (documents === 1) firstExplicit = event.explicitStart;
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const start = firstOf(event.start, event.anchorStart - 1, event.tagStart);
        const place: Place =
          event.type === EVENT_ID.MAPPING ? { start, entries: new Map() } : { start, items: [] };
        if (documents > 1) return second(start);
        attach(place, () => undefined);
        open.push({ place });
        break;
      }
      case EVENT_ID.SCALAR: {
        const quoted =
          event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
        const valueStart = event.valueStart < 0 ? -1 : event.valueStart - (quoted ? 1 : 0);
        const start = firstOf(valueStart, event.anchorStart - 1, event.tagStart);
        if (documents > 1) return second(start);
        attach({ start }, () => getScalarValue(text, event));
        break;
      }
      case EVENT_ID.ALIAS:
        if (documents > 1) return second(event.anchorStart - 1);
        attach({ start: event.anchorStart - 1 }, () => undefined);
        break;
      case EVENT_ID.POP:
        // Closes a collection, or a document (nothing is open then).
        open.pop();
        break;
    }
  }
  return documents > 1 ? second(-1) : root ? { root } : {};
}

/** The parser's reason, with the likelier cause where its words alone would mislead. */
function readableReason(reason: string): string {
  // Also what an unclosed flow collection or quoted string runs into at the end of the file.
  if (reason === "deficient indentation") return `${reason} (or a [, {, " or ' above it never closed)`;
  return reason;
}

/** The smallest offset that is present (≥ 0), or -1. */
function firstOf(...offsets: number[]): number {
  let first = -1;
  for (const offset of offsets) if (offset >= 0 && (first < 0 || offset < first)) first = offset;
  return first;
}

function lookup(value: unknown, path: readonly PathSegment[]): { found: boolean; value: unknown } {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, segment)) {
      return { found: false, value: undefined };
    }
    node = (node as Record<PathSegment, unknown>)[segment];
  }
  return { found: true, value: node };
}

/** True when walking `value` with every alias followed would visit more than `limit` nodes. */
function expandsBeyond(value: unknown, limit: number): boolean {
  const pending: unknown[] = [value];
  let visited = 0;
  while (pending.length > 0) {
    const node = pending.pop();
    if (++visited > limit) return true;
    if (node !== null && typeof node === "object") {
      for (const child of Object.values(node)) pending.push(child);
    }
  }
  return false;
}

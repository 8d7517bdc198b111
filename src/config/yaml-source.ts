import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { formatPath } from "./diagnostics.js";
import type { SourceRef } from "./site.js";

/**
 * site.yaml as a YAML document that still knows where every value stands, so each problem can be
 * reported at its own FILE:LINE:COL.
 */
export class YamlSource {
  readonly file: string;
  readonly document: Document.Parsed;
  readonly #lines: LineCounter;
  readonly #text: string;

  constructor(text: string, file: string) {
    this.file = file;
    this.#text = text;
    this.#lines = new LineCounter();
    this.document = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
  }

  /** YAML syntax errors (and warnings), each at its own position. */
  syntaxDiagnostics(): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const [severity, list] of [
      ["error", this.document.errors],
      ["warning", this.document.warnings],
    ] as const) {
      for (const problem of list) {
        const pos = this.#lines.linePos(problem.pos[0]);
        const message = problem.message.split("\n")[0] ?? problem.message;
        // A record line that starts with a quoted "@" ends the YAML string early: say how to write it.
        const hint = /^\s*-\s*["']@["']\s+\S/.test(this.#lineText(pos.line))
          ? ' (quote the whole record line, e.g. - "@ A 198.51.100.10")'
          : "";
        out.push({
          severity,
          file: this.file,
          line: pos.line,
          col: pos.col,
          path: "",
          message: `YAML: ${message}${hint}`,
        });
      }
    }
    return out;
  }

  #lineText(line: number): string {
    const start = this.#lines.lineStarts[line - 1] ?? 0;
    const end = this.#lines.lineStarts[line] ?? this.#text.length;
    return this.#text.slice(start, end);
  }

  toJS(): unknown {
    return this.document.toJS({ maxAliasCount: 100 });
  }

  /** Position of the value at `path` (or its closest existing ancestor). */
  at(path: readonly PathSegment[]): SourceRef {
    return this.#position(this.#nodeAt(path, false));
  }

  /** Position of the key at `path` (for unknown or misplaced keys); the value's when there is no key. */
  keyAt(path: readonly PathSegment[]): SourceRef {
    return this.#position(this.#nodeAt(path, true));
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

  #position(node: Node | undefined): SourceRef {
    const offset = node?.range?.[0] ?? 0;
    const pos = this.#lines.linePos(offset);
    return { file: this.file, line: pos.line, col: pos.col };
  }

  #nodeAt(path: readonly PathSegment[], wantKey: boolean): Node | undefined {
    let node: unknown = this.document.contents;
    let last: Node | undefined = node as Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const isLast = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (!pair) return last;
        if (isLast && wantKey && pair.key) return pair.key as Node;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment];
        if (item === undefined) return last;
        node = item;
      } else {
        return last;
      }
      if (node && typeof node === "object" && "range" in node) last = node as Node;
    }
    return last;
  }
}

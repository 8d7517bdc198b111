/** A problem found in site.yaml, reported as `FILE:LINE:COL: path.to.value: message`. */
export interface Diagnostic {
  readonly severity: "error" | "warning";
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted path with [index] for list items, e.g. `dhcp.subnets[0].pools[1]`; "" for the document. */
  readonly path: string;
  readonly message: string;
  /**
   * The file names something this host lacks (an interface, an address): valid in itself, but
   * `serve` on this host would fail, so `check --strict` counts it as an error.
   */
  readonly absentOnHost?: true;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  const prefix = d.severity === "warning" ? "warning: " : "";
  return d.path ? `${where}: ${d.path}: ${prefix}${d.message}` : `${where}: ${prefix}${d.message}`;
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}

export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.col - b.col || a.message.localeCompare(b.message);
}

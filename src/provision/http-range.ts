/**
 * The Range header (RFC 9110 §14): one byte range of a resource of known size. Several ranges
 * are answered with the whole resource (allowed: a server may ignore Range), which no phone needs.
 */

export type RangeAnswer =
  /** Serve the whole resource (no Range, several ranges, or a form that is not bytes=). */
  | { readonly kind: "whole" }
  | { readonly kind: "part"; readonly start: number; readonly end: number }
  /** 416 Range Not Satisfiable. */
  | { readonly kind: "unsatisfiable" };

const ONE_RANGE = /^bytes=(\d{0,15})-(\d{0,15})$/;

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: "whole" };
  const m = ONE_RANGE.exec(header.trim());
  if (!m) return { kind: "whole" };
  const [, first, last] = m as unknown as [string, string, string];
  if (first === "" && last === "") return { kind: "whole" };
  if (first === "") {
    // A suffix: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "part", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: "unsatisfiable" };
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: "whole" }; // an invalid range is ignored (RFC 9110 §14.1.1)
  return { kind: "part", start, end };
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRange } from "./http-range.js";

describe("HTTP Range", () => {
  it.each([
    [undefined, { kind: "whole" }],
    ["bytes=0-99", { kind: "part", start: 0, end: 99 }],
    ["bytes=900-", { kind: "part", start: 900, end: 999 }],
    ["bytes=-10", { kind: "part", start: 990, end: 999 }],
    ["bytes=-5000", { kind: "part", start: 0, end: 999 }],
    ["bytes=10-5000", { kind: "part", start: 10, end: 999 }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=5-4", { kind: "whole" }],
    ["bytes=0-1,5-6", { kind: "whole" }],
    ["items=0-1", { kind: "whole" }],
  ])("%s of 1000 bytes", (header, answer) => {
    expect(parseRange(header, 1000)).toEqual(answer);
  });

  it("a part always lies inside the resource, for any header text and size", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `bytes=${a}-${b}`),
          fc.nat().map((n) => `bytes=-${n}`),
        ),
        fc.nat({ max: 1 << 30 }),
        (header, size) => {
          const r = parseRange(header, size);
          if (r.kind === "part") {
            expect(r.start).toBeGreaterThanOrEqual(0);
            expect(r.end).toBeGreaterThanOrEqual(r.start);
            expect(r.end).toBeLessThan(size);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

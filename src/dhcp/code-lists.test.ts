import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sharedCodeList } from "./code-lists.js";

describe("sharedCodeList", () => {
  it("returns the same frozen array for equal lists, from bytes or numbers", () => {
    const fromBytes = sharedCodeList(Uint8Array.of(1, 3, 6, 15, 119));
    const fromNumbers = sharedCodeList([1, 3, 6, 15, 119]);
    expect(fromNumbers).toBe(fromBytes);
    expect(fromBytes).toEqual([1, 3, 6, 15, 119]);
    expect(Object.isFrozen(fromBytes)).toBe(true);
    expect(sharedCodeList([1, 3, 6, 15])).not.toBe(fromBytes);
    expect(sharedCodeList([])).toEqual([]);
  });

  it("always equals its input, however many distinct lists pass through", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 60 }), (lists) => {
        for (const bytes of lists) expect(sharedCodeList(bytes)).toEqual(Array.from(bytes));
      }),
    );
  });
});

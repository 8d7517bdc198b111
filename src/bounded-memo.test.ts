import { describe, expect, it } from "vitest";
import { BoundedMemo } from "./bounded-memo.js";

describe("BoundedMemo", () => {
  it("computes a key once and hands out the same value after", () => {
    const computed: string[] = [];
    const memo = new BoundedMemo(10, (key: string) => {
      computed.push(key);
      return { key };
    });
    const first = memo.get("a");
    expect(memo.get("a")).toBe(first);
    memo.get("b");
    expect(computed).toEqual(["a", "b"]);
  });

  it("starts over at its limit instead of growing", () => {
    const memo = new BoundedMemo(3, (key: number) => key * 2);
    for (let i = 0; i < 100; i++) expect(memo.get(i)).toBe(i * 2);
    expect(memo.size).toBeLessThanOrEqual(3);
    expect(memo.size).toBeGreaterThan(0);
  });

  it("keeps nothing when the computation throws", () => {
    const memo = new BoundedMemo(3, (key: string) => {
      if (key === "bad") throw new Error("bad key");
      return key;
    });
    expect(() => memo.get("bad")).toThrow("bad key");
    expect(memo.size).toBe(0);
  });
});

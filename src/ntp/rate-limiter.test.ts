import { describe, expect, it } from "vitest";
import { type RateDecision, RateLimiter, type RateLimitSettings } from "./rate-limiter.js";

const base: RateLimitSettings = { interval: 3, burst: 8, leak: 2, kod: false, maxClients: 100 };
const never = () => 0.99;
const always = () => 0;

function run(limiter: RateLimiter, client: string, times: readonly number[]): RateDecision[] {
  return times.map((t) => limiter.check(client, t));
}

describe("RateLimiter", () => {
  it("lets a new client burst `burst` requests, then limits it", () => {
    const limiter = new RateLimiter(base, never);
    const decisions = run(
      limiter,
      "198.51.100.7",
      Array.from({ length: 12 }, () => 1000),
    );
    expect(decisions.slice(0, 8)).toEqual(Array(8).fill("answer"));
    expect(decisions.slice(8)).toEqual(Array(4).fill("drop"));
  });

  it("refills one response per 2^interval seconds, up to the burst", () => {
    const limiter = new RateLimiter({ ...base, burst: 2 }, never);
    expect(run(limiter, "a", [0, 0, 0])).toEqual(["answer", "answer", "drop"]);
    expect(limiter.check("a", 7_999)).toBe("drop");
    expect(limiter.check("a", 8_000)).toBe("answer");
    expect(limiter.check("a", 8_001)).toBe("drop");
    // A long silence refills only up to the burst.
    expect(run(limiter, "a", [1_000_000, 1_000_000, 1_000_000])).toEqual(["answer", "answer", "drop"]);
  });

  it("answers a steady client polling at the interval forever", () => {
    const limiter = new RateLimiter({ ...base, burst: 1 }, never);
    const times = Array.from({ length: 100 }, (_, i) => i * 8_000);
    expect(new Set(run(limiter, "a", times))).toEqual(new Set(["answer"]));
  });

  it("leaks about 1 in 2^leak limited requests and empties the bucket when it does", () => {
    let seed = 42;
    const lcg = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const limiter = new RateLimiter({ ...base, burst: 1, leak: 2 }, lcg);
    limiter.check("a", 0);
    const decisions = run(limiter, "a", Array(4000).fill(0));
    const leaked = decisions.filter((d) => d === "leak").length;
    expect(leaked).toBeGreaterThan(850);
    expect(leaked).toBeLessThan(1150);
    expect(decisions.filter((d) => d === "answer")).toHaveLength(0);
  });

  it("never leaks with leak 0", () => {
    const limiter = new RateLimiter({ ...base, burst: 1, leak: 0 }, always);
    expect(run(limiter, "a", [0, 0, 0])).toEqual(["answer", "drop", "drop"]);
  });

  it("sends KoD at most once per interval per client when enabled", () => {
    const limiter = new RateLimiter({ ...base, burst: 1, leak: 0, kod: true }, never);
    expect(run(limiter, "a", [0, 10, 20, 7_000])).toEqual(["answer", "kod", "drop", "drop"]);
    // 8 s later: one token refilled; the next limited request may get a KoD again.
    expect(run(limiter, "a", [8_010, 8_020, 8_030])).toEqual(["answer", "kod", "drop"]);
  });

  it("keeps clients independent", () => {
    const limiter = new RateLimiter({ ...base, burst: 1 }, never);
    expect(limiter.check("a", 0)).toBe("answer");
    expect(limiter.check("b", 0)).toBe("answer");
    expect(limiter.check("a", 0)).toBe("drop");
  });

  it("bounds the table and forgets the least recently seen client first", () => {
    const limiter = new RateLimiter({ ...base, burst: 1, maxClients: 3 }, never);
    for (const c of ["a", "b", "c"]) limiter.check(c, 0);
    limiter.check("a", 1); // a is now the most recent
    limiter.check("d", 2); // evicts b
    expect(limiter.size).toBe(3);
    expect(limiter.check("a", 3)).toBe("drop"); // still remembered
    expect(limiter.check("b", 3)).toBe("answer"); // forgotten, so a fresh full bucket (evicts c)
    expect(limiter.check("c", 3)).toBe("answer");
    for (let i = 0; i < 10_000; i++) limiter.check(`198.51.100.${i % 250}.${i}`, i);
    expect(limiter.size).toBe(3);
  });

  it("refills nothing when the clock steps backwards", () => {
    const limiter = new RateLimiter({ ...base, burst: 1 }, never);
    expect(run(limiter, "a", [100_000, 0, 7_999])).toEqual(["answer", "drop", "drop"]);
    expect(limiter.check("a", 8_000)).toBe("answer");
  });

  it("clamps out-of-range settings to chronyd's ranges", () => {
    const limiter = new RateLimiter({ interval: 99, burst: 0, leak: 9, kod: false, maxClients: 0 }, never);
    // burst clamps to 1, interval to 12 (4096 s)
    expect(run(limiter, "a", [0, 4_095_000, 4_096_000])).toEqual(["answer", "drop", "answer"]);
  });
});

import { describe, expect, it } from "vitest";
import { networkKey } from "./client-address.js";
import { RateDecision, RateLimiter } from "./rate-limiter.js";

describe("RateLimiter", () => {
  it("allows the rate, then slips every Nth limited response and drops the rest", () => {
    const rl = new RateLimiter({ responsesPerSecond: 5, slip: 2 });
    const t = 1_000_000;
    const got = Array.from({ length: 11 }, () => rl.check("198.51.100.7", t));
    expect(got).toEqual([0, 0, 0, 0, 0, 1, 2, 1, 2, 1, 2]);
    // Refill: 200 ms at 5/s gives one more answer.
    expect(rl.check("198.51.100.7", t + 200)).toBe(RateDecision.ANSWER);
    expect(rl.check("198.51.100.7", t + 200)).not.toBe(RateDecision.ANSWER);
  });

  it("shares a bucket per /24 and separates other networks", () => {
    const rl = new RateLimiter({ responsesPerSecond: 1, slip: 0 });
    expect(rl.check("203.0.113.1", 0)).toBe(RateDecision.ANSWER);
    expect(rl.check("203.0.113.200", 0)).toBe(RateDecision.DROP);
    expect(rl.check("203.0.114.1", 0)).toBe(RateDecision.ANSWER);
    expect(networkKey("2001:db8:0:1::1")).toBe(networkKey("2001:db8:0:ff::2"));
    expect(networkKey("2001:db8:0:100::1")).not.toBe(networkKey("2001:db8:0:1::1"));
  });

  it("is off at 0 and keeps its table bounded", () => {
    expect(new RateLimiter({ responsesPerSecond: 0, slip: 2 }).check("1.2.3.4", 0)).toBe(RateDecision.ANSWER);
    const rl = new RateLimiter({ responsesPerSecond: 10, slip: 2 }, 100);
    for (let i = 0; i < 1000; i++) rl.check(`10.${i >> 8}.${i & 255}.1`, 0);
    expect(rl.size).toBe(100);
  });
});

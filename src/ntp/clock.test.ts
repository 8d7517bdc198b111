import { describe, expect, it } from "vitest";
import { FakeClock, HostClock, measurePrecision } from "./clock.js";
import { diffSeconds, type Instant } from "./timestamp.js";

/**
 * A simulated host: a monotonic clock advancing 37 ns per reading and a wall clock that is the
 * monotonic clock plus an offset, read (like Date.now) floored to the millisecond. Steps move the
 * offset, as `date -s` or chronyd's makestep would.
 */
function simulatedHost(startUnixMs: number) {
  let hr = 5_000_000_000n;
  let offset = BigInt(startUnixMs) * 1_000_000n - hr + 123_456n;
  const tick = 37n;
  return {
    hrtime: () => {
      hr += tick;
      return hr;
    },
    wallMs: () => {
      hr += tick;
      return Number((hr + offset) / 1_000_000n);
    },
    truth(): Instant {
      const ns = hr + offset;
      return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
    },
    step(ns: bigint) {
      offset += ns;
    },
    wait(ns: bigint) {
      hr += ns;
    },
  };
}

describe("HostClock (simulated host)", () => {
  it("anchors to well under a microsecond and resolves far below a millisecond", () => {
    const host = simulatedHost(1_700_000_000_000);
    const clock = new HostClock(host);
    for (let i = 0; i < 50; i++) {
      host.wait(BigInt(Math.floor(Math.random() * 5_000_000)));
      const t = clock.now();
      expect(Math.abs(diffSeconds(t, host.truth()))).toBeLessThan(1e-6);
    }
    const a = clock.now();
    const b = clock.now();
    const delta = diffSeconds(b, a);
    expect(delta).toBeGreaterThan(0);
    expect(delta).toBeLessThan(1e-6);
    expect(clock.precision).toBe(Math.ceil(Math.log2(74e-9)));
  });

  it("re-anchors when the system clock steps forward or back, at once and then precisely", () => {
    const host = simulatedHost(1_700_000_000_000);
    const clock = new HostClock(host);
    const anchorsBefore = clock.reanchors;
    host.step(5_000_000_000n);
    const afterForward = clock.now();
    expect(clock.reanchors).toBe(anchorsBefore + 1);
    expect(Math.abs(diffSeconds(afterForward, host.truth()))).toBeLessThan(1e-3);
    clock.anchorPrecisely();
    expect(Math.abs(diffSeconds(clock.now(), host.truth()))).toBeLessThan(1e-6);

    host.step(-3_000_000_000n);
    const afterBack = clock.now();
    expect(Math.abs(diffSeconds(afterBack, host.truth()))).toBeLessThan(1e-3);
    clock.anchorPrecisely();
    expect(Math.abs(diffSeconds(clock.now(), host.truth()))).toBeLessThan(1e-6);
    clock.stop();
  });

  it("leaves a sub-threshold step to the periodic precise re-anchor", () => {
    const host = simulatedHost(1_700_000_000_000);
    const clock = new HostClock(host);
    const anchors = clock.reanchors;
    host.step(1_000_000n);
    const t = clock.now();
    expect(clock.reanchors).toBe(anchors);
    expect(diffSeconds(host.truth(), t)).toBeCloseTo(1e-3, 5);
    clock.anchorPrecisely();
    expect(Math.abs(diffSeconds(clock.now(), host.truth()))).toBeLessThan(1e-6);
  });

  it("falls back to a mid-millisecond anchor when the wall clock never ticks", () => {
    let hr = 0n;
    const clock = new HostClock({ hrtime: () => (hr += 1000n), wallMs: () => 1_700_000_000_000 });
    const t = clock.now();
    expect(t.sec).toBe(1_700_000_000);
    expect(t.nsec).toBeGreaterThanOrEqual(500_000);
    expect(t.nsec).toBeLessThan(1_000_000);
  });
});

describe("HostClock (real host)", () => {
  it("agrees with Date.now and has sub-millisecond resolution", () => {
    const clock = new HostClock();
    for (let i = 0; i < 20; i++) {
      const wall = Date.now();
      const t = clock.now();
      const ms = t.sec * 1000 + t.nsec / 1e6;
      expect(ms - wall).toBeGreaterThan(-2);
      expect(ms - wall).toBeLessThan(3);
    }
    const a = clock.now();
    let b = clock.now();
    while (diffSeconds(b, a) === 0) b = clock.now();
    expect(diffSeconds(b, a)).toBeLessThan(1e-4);
    expect(clock.precision).toBeLessThanOrEqual(-14);
    expect(clock.precision).toBeGreaterThanOrEqual(-30);
  });
});

describe("measurePrecision and FakeClock", () => {
  it("reports log2 of the smallest reading step", () => {
    const clock = new FakeClock({ sec: 100, nsec: 0 });
    const ticking = {
      now: () => {
        clock.advanceNanos(1000);
        return clock.now();
      },
    };
    expect(measurePrecision(ticking)).toBe(Math.ceil(Math.log2(1e-6)));
    expect(measurePrecision(new FakeClock())).toBe(-6);
  });

  it("moves only when told", () => {
    const clock = new FakeClock({ sec: 10, nsec: 999_000_000 });
    expect(clock.now()).toEqual({ sec: 10, nsec: 999_000_000 });
    clock.advanceMs(2);
    expect(clock.now()).toEqual({ sec: 11, nsec: 1_000_000 });
  });
});

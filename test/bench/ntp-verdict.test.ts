import { describe, expect, it } from "vitest";
import {
  capacity,
  classifyStep,
  type LoadResult,
  type ServerRun,
  searchDone,
  verdict,
} from "./ntp-verdict.js";

/** A load result at `offered`/s for 1 s with `answered` of the requests answered. */
function load(offered: number, answered: number, extra: Partial<LoadResult> = {}): LoadResult {
  return {
    sent: offered,
    received: answered,
    invalid: 0,
    duplicate: 0,
    kod: 0,
    errors: 0,
    seconds: 1,
    cpuMs: 0,
    ...extra,
  };
}

const FIXED = 20_000;
const chronydServing: ServerRun = { fixed: load(FIXED, FIXED), capacity: { rate: 150_000, bound: "server" } };

describe("classifyStep", () => {
  it("passes below 2 % loss, fails above it, and blames the generator when it did not send", () => {
    expect(classifyStep(10_000, load(10_000, 9_801))).toBe("pass");
    expect(classifyStep(10_000, load(10_000, 9_799))).toBe("fail");
    expect(classifyStep(10_000, load(9_000, 9_000))).toBe("generator-short");
    expect(classifyStep(10_000, load(10_000, 10_000, { invalid: 1 }))).toBe("fail");
    expect(classifyStep(10_000, load(10_000, 10_000, { errors: 3 }))).toBe("fail");
    // KoDs are not counted as received: all KoD means nothing served.
    expect(classifyStep(10_000, load(10_000, 0, { kod: 10_000 }))).toBe("fail");
  });
});

describe("capacity", () => {
  it("is the achieved rate of the highest passing step, bounded by the server after two failures", () => {
    const steps = [
      { offered: 25_000, result: load(25_000, 25_000) },
      { offered: 50_000, result: load(50_000, 49_500) },
      { offered: 100_000, result: load(100_000, 70_000) },
      { offered: 150_000, result: load(150_000, 60_000) },
    ];
    expect(searchDone(steps.slice(0, 3))).toBe(false);
    expect(searchDone(steps)).toBe(true);
    expect(capacity(steps)).toEqual({ rate: 49_500, bound: "server" });
  });

  it("is generator-bound when the generator falls short or the rates run out while passing", () => {
    const short = [
      { offered: 25_000, result: load(25_000, 25_000) },
      { offered: 50_000, result: load(30_000, 30_000) },
    ];
    expect(searchDone(short)).toBe(true);
    expect(capacity(short)).toEqual({ rate: 25_000, bound: "generator" });
    expect(capacity([{ offered: 25_000, result: load(25_000, 25_000) }])).toEqual({
      rate: 25_000,
      bound: "generator",
    });
  });

  it("is bounded by the server when a step above the best failed before the generator fell short", () => {
    const steps = [
      { offered: 90_000, result: load(90_000, 89_000) },
      { offered: 100_000, result: load(100_000, 92_000) },
      { offered: 110_000, result: load(90_000, 60_000) },
    ];
    expect(searchDone(steps)).toBe(true);
    expect(capacity(steps)).toEqual({ rate: 89_000, bound: "server" });
  });

  it("is 0 when no step passed", () => {
    expect(capacity([{ offered: 25_000, result: load(25_000, 0) }])).toEqual({ rate: 0, bound: "server" });
  });
});

describe("verdict", () => {
  const siteboot: ServerRun = { fixed: load(FIXED, FIXED), capacity: { rate: 120_000, bound: "server" } };

  it("divides the candidate's capacity by the reference's", () => {
    expect(verdict(siteboot, chronydServing, FIXED)).toEqual({ valid: true, ratio: 0.8, lowerBound: false });
    const bounded: ServerRun = { ...siteboot, capacity: { rate: 180_000, bound: "generator" } };
    expect(verdict(bounded, chronydServing, FIXED)).toEqual({ valid: true, ratio: 1.2, lowerBound: true });
  });

  it("is invalid, with no ratio, when the reference answered nothing", () => {
    const dead: ServerRun = { fixed: load(FIXED, 0), capacity: { rate: 0, bound: "server" } };
    const v = verdict(siteboot, dead, FIXED);
    expect(v.valid).toBe(false);
    expect(v).not.toHaveProperty("ratio");
    if (!v.valid) {
      expect(v.reasons.join("\n")).toMatch(/answered 0 of 20000/);
      expect(v.reasons.join("\n")).toMatch(/no step/);
    }
  });

  it("is invalid when the reference serves the fixed rate but no step of the search", () => {
    const v = verdict(siteboot, { ...chronydServing, capacity: { rate: 0, bound: "server" } }, FIXED);
    expect(v).toEqual({
      valid: false,
      reasons: ["the reference answered no step of the rate search with < 2 % loss"],
    });
  });

  it("is invalid when the reference's maximum is implausibly low, it errs, or it exited", () => {
    expect(
      verdict(siteboot, { ...chronydServing, capacity: { rate: 5_000, bound: "server" } }, FIXED).valid,
    ).toBe(false);
    expect(
      verdict(siteboot, { ...chronydServing, fixed: load(FIXED, FIXED, { errors: 1 }) }, FIXED).valid,
    ).toBe(false);
    expect(verdict(siteboot, { ...chronydServing, error: "exited during the run (1)" }, FIXED).valid).toBe(
      false,
    );
    expect(verdict(siteboot, { ...chronydServing, fixed: load(FIXED, FIXED * 0.97) }, FIXED).valid).toBe(
      false,
    );
  });

  it("is invalid when the generator never found the reference's limit", () => {
    const v = verdict(
      siteboot,
      { ...chronydServing, capacity: { rate: 150_000, bound: "generator" } },
      FIXED,
    );
    expect(v.valid).toBe(false);
    if (!v.valid) expect(v.reasons[0]).toMatch(/the ratio would measure the generator/);
  });
});

import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./durations.js";

describe("parseDuration", () => {
  it.each([
    ["8h", 28800],
    ["30m", 1800],
    ["45s", 45],
    ["2d", 172800],
    ["1h30m", 5400],
    ["500ms", 0.5],
    ["1w", 604800],
    ["3600", 3600],
    [90, 90],
  ] as const)("%j is %d seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
  it.each(["", "h", "8 h", "8x", "-1h", "1.5h", "8H"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
  it("rejects negative and non-finite numbers", () => {
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
  });
  it("formats back", () => {
    expect(formatDuration(5400)).toBe("1h30m");
    expect(formatDuration(90061)).toBe("1d1h1m1s");
    expect(parseDuration(formatDuration(123456))).toBe(123456);
  });
});

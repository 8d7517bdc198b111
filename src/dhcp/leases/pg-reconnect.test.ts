import { describe, expect, it } from "vitest";
import { ATTEMPTS_LOGGED, RECONNECT_MAX_MS, ReconnectSchedule } from "./pg-reconnect.js";

const WHERE = "PostgreSQL postgresql://siteboot@db/siteboot";

describe("ReconnectSchedule", () => {
  it("waits the interval first, doubles after each failure up to 30 s, and starts over after a loss", () => {
    const schedule = new ReconnectSchedule(1000, WHERE);
    schedule.lost("connect ECONNREFUSED (ECONNREFUSED)");
    const pauses = [schedule.delayMs];
    for (let i = 0; i < 8; i++) {
      schedule.failed("connect ECONNREFUSED (ECONNREFUSED)");
      pauses.push(schedule.delayMs);
    }
    expect(pauses).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(schedule.succeeded()).toBe(9);
    expect(schedule.delayMs).toBe(1000);
    expect(schedule.describe()).toBe("after 1 s, then at doubling intervals up to 30 s");
  });

  it("keeps an interval longer than 30 s as it is", () => {
    const schedule = new ReconnectSchedule(60_000, WHERE);
    schedule.failed("down");
    expect(schedule.delayMs).toBe(60_000);
    expect(schedule.describe()).toBe("every 60 s");
    expect(RECONNECT_MAX_MS).toBe(30_000);
  });

  it("has a line for the first few failures, then only for a new cause", () => {
    const schedule = new ReconnectSchedule(200, WHERE);
    schedule.lost("connect ENOENT (ENOENT)");
    const lines = Array.from({ length: 20 }, () => schedule.failed("connect ENOENT (ENOENT)"));
    const said = lines.filter((line) => line !== undefined);
    expect(said).toHaveLength(ATTEMPTS_LOGGED);
    expect(said[0]).toBe(
      `lease store: ${WHERE} still unreachable (connect ENOENT (ENOENT)) after 1 attempt; next in 400 ms`,
    );
    expect(said.at(-1)).toMatch(
      /after 3 attempts; next in 1\.6 s; further attempts are logged only when the cause changes$/,
    );
    expect(schedule.failed("the database system is starting up (57P03)")).toMatch(
      /still unreachable \(the database system is starting up \(57P03\)\) after 21 attempts; next in 30 s$/,
    );
    expect(schedule.failed("the database system is starting up (57P03)")).toBeUndefined();
  });
});

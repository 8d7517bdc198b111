import { describe, expect, it } from "vitest";
import { type HostSyncState, unsynchronised } from "./host-sync.js";
import { PHI, serverState, UNSYNCHRONISED } from "./server-state.js";

const LOCL = 0x4c4f434c;
const now = { sec: 1_700_000_037, nsec: 400_000_000 };
const synced: HostSyncState = {
  synchronised: true,
  source: "chrony",
  stratum: 3,
  referenceId: 0xc0a80101,
  referenceTime: { sec: 1_700_000_000, nsec: 0 },
  rootDelay: 0.02,
  rootDispersion: 0.001,
  leap: 1,
  readAtMs: 1_700_000_027_400,
};

describe("serverState", () => {
  it("auto follows the host: its stratum, upstream reference, root values and leap", () => {
    const s = serverState({ mode: "auto" }, LOCL, synced, now, -20);
    expect(s).toMatchObject({
      leap: 1,
      stratum: 3,
      referenceId: 0xc0a80101,
      referenceTime: synced.referenceTime,
    });
    expect(s.rootDelay).toBe(0.02);
    // Dispersion grows by PHI per second since the state was read (10 s), plus our precision.
    expect(s.rootDispersion).toBeCloseTo(0.001 + PHI * 10 + 2 ** -20, 12);
  });

  it("auto and fixed say unsynchronised (as chronyd does) when the host is not synchronised", () => {
    const host = unsynchronised("none", "test");
    expect(serverState({ mode: "auto" }, LOCL, host, now, -20)).toBe(UNSYNCHRONISED);
    expect(serverState({ mode: "fixed", stratum: 2 }, LOCL, host, now, -20)).toBe(UNSYNCHRONISED);
    expect(UNSYNCHRONISED).toMatchObject({
      leap: 3,
      stratum: 16,
      referenceId: 0,
      rootDelay: 1,
      rootDispersion: 1,
    });
  });

  it("fixed uses the configured stratum and reference ID with the host's timing values", () => {
    expect(serverState({ mode: "fixed", stratum: 2 }, LOCL, synced, now, -20)).toMatchObject({
      stratum: 2,
      referenceId: LOCL,
      leap: 1,
      rootDelay: 0.02,
    });
  });

  it("local always serves its stratum, leap 0, root delay 0 and a reference time at most 16 s old", () => {
    const host = unsynchronised("none", "test");
    const s = serverState({ mode: "local", stratum: 10 }, LOCL, host, now, -20);
    expect(s).toMatchObject({
      leap: 0,
      stratum: 10,
      referenceId: LOCL,
      rootDelay: 0,
      rootDispersion: 2 ** -20,
    });
    expect(s.referenceTime).toEqual({ sec: 1_700_000_032, nsec: 0 });
    expect(serverState({ mode: "local", stratum: 10 }, LOCL, synced, now, -20).stratum).toBe(10);
  });
});

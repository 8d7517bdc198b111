import { describe, expect, it } from "vitest";
import { CommandHostSync, parseChronycTracking, parseTimespan, parseTimesync } from "./host-sync.js";

const CHRONY_SYNCED =
  "C0A80101,192.168.1.1,3,1700000000.250000000,0.000001234,-0.000002000,0.000010000,-12.345,-0.001,0.050,0.012345678,0.000987654,64.5,Normal\n";
const CHRONY_UNSYNCED =
  "00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,1.000000000,1.000000000,0.0,Not synchronised\n";

describe("parseChronycTracking", () => {
  it("takes stratum, reference, root delay/dispersion and leap from chronyd", () => {
    expect(parseChronycTracking(CHRONY_SYNCED, 5)).toEqual({
      synchronised: true,
      source: "chrony",
      stratum: 3,
      referenceId: 0xc0a80101,
      referenceTime: { sec: 1_700_000_000, nsec: 250_000_000 },
      rootDelay: 0.012345678,
      rootDispersion: 0.000987654,
      leap: 0,
      readAtMs: 5,
    });
    expect(parseChronycTracking(CHRONY_SYNCED.replace("Normal", "Insert second"), 0).leap).toBe(1);
  });

  it("reports unsynchronised for chronyd without a source and for garbage", () => {
    expect(parseChronycTracking(CHRONY_UNSYNCED, 0)).toMatchObject({
      synchronised: false,
      leap: 3,
      stratum: 16,
    });
    expect(parseChronycTracking("506 Cannot talk to daemon", 0)).toMatchObject({ synchronised: false });
    expect(parseChronycTracking(CHRONY_SYNCED.replace(",3,", ",x,"), 0)).toMatchObject({
      synchronised: false,
    });
  });
});

describe("parseTimesync", () => {
  const show = [
    "LinkNTPServers=",
    "ServerName=ntp.example",
    "ServerAddress=203.0.113.10",
    "NTPMessage={ Leap=0, Version=4, Mode=4, Stratum=2, Precision=-25, RootDelay=1.373ms, RootDispersion=24.414ms, Reference=C035676C, OriginateTimestamp=Mon 2024-01-01 00:00:00 UTC, Ignored=no, PacketCount=5, Jitter=1.2ms }",
    "Frequency=123456",
  ].join("\n");

  it("serves at the upstream stratum + 1 with the upstream address as reference ID", () => {
    expect(parseTimesync(show, true, 1_700_000_000_500)).toMatchObject({
      synchronised: true,
      source: "timesyncd",
      stratum: 3,
      referenceId: 0xcb00710a,
      rootDelay: 0.001373,
      rootDispersion: 0.024414,
      leap: 0,
      referenceTime: { sec: 1_700_000_000, nsec: 500_000_000 },
    });
  });

  it("is unsynchronised when timedated says so or the message is unusable", () => {
    expect(parseTimesync(show, false, 0).synchronised).toBe(false);
    expect(parseTimesync("ServerAddress=203.0.113.10\n", true, 0).synchronised).toBe(false);
    expect(parseTimesync(show.replace("Stratum=2", "Stratum=0"), true, 0).synchronised).toBe(false);
  });

  it("reads systemd timespans", () => {
    expect(parseTimespan("1.5ms")).toBeCloseTo(0.0015, 12);
    expect(parseTimespan("2s 100ms")).toBeCloseTo(2.1, 12);
    expect(parseTimespan("87us")).toBeCloseTo(87e-6, 12);
    expect(parseTimespan("0")).toBe(0);
    expect(parseTimespan("soon")).toBeUndefined();
  });
});

describe("CommandHostSync", () => {
  it("uses chronyd when it answers", async () => {
    const calls: string[] = [];
    const sync = new CommandHostSync({
      run: async (cmd) => {
        calls.push(cmd);
        return CHRONY_SYNCED;
      },
      nowMs: () => 42,
    });
    await sync.start();
    sync.stop();
    expect(calls).toEqual(["chronyc"]);
    expect(sync.current()).toMatchObject({ synchronised: true, source: "chrony", stratum: 3, readAtMs: 42 });
  });

  it("falls back to timedatectl, then to unsynchronised, and never rejects", async () => {
    const sync = new CommandHostSync({
      run: async (cmd, args) => {
        if (cmd === "chronyc") throw new Error("ENOENT");
        return args[0] === "show"
          ? "yes\n"
          : "ServerAddress=203.0.113.10\nNTPMessage={ Leap=0, Stratum=1, RootDelay=0, RootDispersion=10us }\n";
      },
    });
    await sync.refresh();
    expect(sync.current()).toMatchObject({ synchronised: true, source: "timesyncd", stratum: 2 });

    const none = new CommandHostSync({
      run: async () => {
        throw new Error("ENOENT");
      },
    });
    await none.refresh();
    expect(none.current()).toMatchObject({ synchronised: false, source: "none", leap: 3 });
  });
});

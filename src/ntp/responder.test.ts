import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LOOPBACK, parseCidr } from "../config/ipv4.js";
import type { Cidr, NtpSite } from "../config/site.js";
import { FakeClock } from "./clock.js";
import { type HostSyncState, StaticHostSync, unsynchronised } from "./host-sync.js";
import { decodeNtpPacket, encodeNtpPacket, type NtpPacket } from "./packet.js";
import { type NtpDecision, NtpResponder } from "./responder.js";
import { NTP_UNIX_OFFSET, timestampToInstant, toShortFormat } from "./timestamp.js";

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if ("error" in c) throw new Error(c.error);
  return c;
}

function ntpSite(overrides: Partial<NtpSite> = {}): NtpSite {
  return {
    enabled: true,
    stratum: { mode: "local", stratum: 10 },
    refid: "LOCL",
    allow: [cidr("198.51.100.0/24"), LOOPBACK],
    rateLimit: { enabled: false, interval: 3, burst: 8, leak: 2, kod: false },
    maxClients: 1000,
    ...overrides,
  };
}

const SYNCED: HostSyncState = {
  synchronised: true,
  source: "static",
  stratum: 2,
  referenceId: 0xcb00710a,
  referenceTime: { sec: 1_700_000_000, nsec: 0 },
  rootDelay: 0.004,
  rootDispersion: 0.002,
  leap: 0,
  readAtMs: 1_700_000_000_000,
};

/** A clock that moves forward by `stepNs` on every reading, so receive and transmit differ. */
class SteppingClock extends FakeClock {
  constructor(
    start: { sec: number; nsec: number },
    readonly stepNs: number,
  ) {
    super(start, -22);
  }
  override now() {
    const t = super.now();
    this.advanceNanos(this.stepNs);
    return t;
  }
}

function request(fields: Partial<NtpPacket> = {}, length = 48): Uint8Array {
  const header = encodeNtpPacket({
    leap: 0,
    version: 4,
    mode: 3,
    stratum: 0,
    poll: 6,
    precision: -20,
    rootDelay: 0,
    rootDispersion: 0,
    referenceId: 0,
    referenceTimestamp: { seconds: 0, fraction: 0 },
    originTimestamp: { seconds: 0, fraction: 0 },
    receiveTimestamp: { seconds: 0, fraction: 0 },
    transmitTimestamp: { seconds: 0xe9000000, fraction: 0x12345678 },
    ...fields,
  });
  const out = new Uint8Array(length);
  out.set(header.subarray(0, Math.min(48, length)));
  return out;
}

function replyOf(decision: NtpDecision): NtpPacket {
  if (decision.kind !== "reply" && decision.kind !== "kod")
    throw new Error(`expected a reply, got ${decision.kind}`);
  const d = decodeNtpPacket(decision.reply);
  if (!d.ok) throw new Error(d.error);
  return d.packet;
}

describe("NtpResponder: randomized exchanges", () => {
  it("keeps every invariant over thousands of exchanges", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: NTP_UNIX_OFFSET * -1 + 1, max: 2 ** 32 * 1.5 - NTP_UNIX_OFFSET }),
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: -128, max: 127 }),
        fc.record({ seconds: fc.nat({ max: 0xffffffff }), fraction: fc.nat({ max: 0xffffffff }) }),
        fc.constantFrom<"local" | "auto" | "fixed">("local", "auto", "fixed"),
        fc.boolean(),
        (sec, nsec, stepNs, version, poll, transmit, mode, synced) => {
          const clock = new SteppingClock({ sec, nsec }, stepNs);
          const host = new StaticHostSync(synced ? SYNCED : unsynchronised("static", "test"));
          const stratum = mode === "auto" ? { mode } : { mode, stratum: 5 };
          const responder = new NtpResponder(ntpSite({ stratum }), { clock, hostSync: host });
          const received = clock.now();
          const req = request({ version, poll, transmitTimestamp: transmit });
          const decision = responder.respond(req, "198.51.100.20", received);
          expect(decision.kind).toBe("reply");
          const reply = replyOf(decision);
          // Origin echo, bit for bit.
          expect(decision.kind === "reply" && [...decision.reply.subarray(24, 32)]).toEqual([
            ...req.subarray(40, 48),
          ]);
          expect(reply.mode).toBe(4);
          expect(reply.version).toBe(version);
          const rx = timestampToInstant(reply.receiveTimestamp, sec);
          const tx = timestampToInstant(reply.transmitTimestamp, sec);
          expect(rx).toEqual(received);
          expect((tx.sec - rx.sec) * 1e9 + (tx.nsec - rx.nsec)).toBe(stepNs);
          expect(reply.poll).toBe(Math.min(17, poll));
          expect(reply.precision).toBe(-22);
          const unsync = mode !== "local" && !synced;
          expect(reply.leap).toBe(unsync ? 3 : 0);
          expect(reply.stratum).toBe(unsync ? 0 : mode === "auto" ? 2 : 5);
          if (!unsync) {
            expect(reply.stratum).toBeGreaterThanOrEqual(1);
            expect(reply.stratum).toBeLessThanOrEqual(15);
            const ref = timestampToInstant(reply.referenceTimestamp, sec);
            if (mode === "local")
              expect((rx.sec - ref.sec) * 1e9 + (rx.nsec - ref.nsec)).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never throws, and answers only what passes the gate, on random bytes from random clients", () => {
    const clock = new FakeClock();
    const responder = new NtpResponder(
      ntpSite({ rateLimit: { enabled: true, interval: 0, burst: 4, leak: 1, kod: true } }),
      {
        clock,
        hostSync: new StaticHostSync(SYNCED),
      },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.constantFrom(
          "198.51.100.1",
          "203.0.113.9",
          "::1",
          "fe80::1",
          "",
          "not-an-ip",
          "::ffff:198.51.100.3",
        ),
        (bytes, client) => {
          const d = responder.respond(bytes, client, clock.now());
          const shaped = bytes.length >= 48 && bytes.length % 4 === 0;
          if (d.kind === "reply" || d.kind === "kod") {
            expect(shaped).toBe(true);
            expect(bytes[0]! & 7).toBe(3);
            expect(d.reply.length).toBe(48);
          }
          if (!shaped) expect(d).toEqual({ kind: "ignored", reason: "length" });
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe("NtpResponder: the gate", () => {
  const clock = new FakeClock();
  const hostSync = new StaticHostSync(SYNCED);
  const responder = new NtpResponder(ntpSite(), { clock, hostSync });
  const client = "198.51.100.20";

  it("drops packets shorter than 48 bytes or not a multiple of 4, accepts extension fields and MACs", () => {
    expect(responder.respond(request({}, 44), client, clock.now())).toEqual({
      kind: "ignored",
      reason: "length",
    });
    expect(responder.respond(request({}, 50), client, clock.now())).toEqual({
      kind: "ignored",
      reason: "length",
    });
    expect(responder.respond(request({}, 68), client, clock.now()).kind).toBe("reply");
    const long = responder.respond(request({}, 120), client, clock.now());
    expect(long.kind === "reply" && long.reply.length).toBe(48);
  });

  it("answers only mode 3 — never servers, peers, broadcasts or control packets", () => {
    for (const mode of [0, 1, 2, 4, 5, 6, 7]) {
      expect(responder.respond(request({ mode }), client, clock.now())).toEqual({
        kind: "ignored",
        reason: "mode",
      });
    }
    expect(responder.respond(request({ mode: 3 }), client, clock.now()).kind).toBe("reply");
  });

  it("echoes versions 1–4 and drops 0 and 5–7", () => {
    for (const version of [1, 2, 3, 4]) {
      expect(replyOf(responder.respond(request({ version }), client, clock.now())).version).toBe(version);
    }
    for (const version of [0, 5, 6, 7]) {
      expect(responder.respond(request({ version }), client, clock.now())).toEqual({
        kind: "ignored",
        reason: "version",
      });
    }
  });

  it("refuses clients outside the allow list before looking at the mode", () => {
    expect(responder.respond(request(), "203.0.113.5", clock.now())).toEqual({ kind: "denied", version: 4 });
    expect(responder.respond(request({ mode: 4 }), "203.0.113.5", clock.now()).kind).toBe("denied");
    expect(responder.respond(request(), "127.0.0.1", clock.now()).kind).toBe("reply");
  });

  it("ignores the client's leap, stratum and other fields (only version, poll and transmit matter)", () => {
    const a = replyOf(responder.respond(request({ leap: 3, stratum: 9, precision: 5 }), client, clock.now()));
    const b = replyOf(responder.respond(request(), client, clock.now()));
    expect(a).toEqual(b);
  });
});

describe("NtpResponder: what replies say", () => {
  it("local mode: stratum, reference ID, leap 0, root delay 0 (chronyd's `local stratum`)", () => {
    const clock = new FakeClock({ sec: 1_700_000_037, nsec: 0 });
    const r = new NtpResponder(ntpSite(), {
      clock,
      hostSync: new StaticHostSync(unsynchronised("none", "x")),
    });
    const p = replyOf(r.respond(request(), "127.0.0.1", clock.now()));
    expect(p).toMatchObject({ leap: 0, stratum: 10, referenceId: 0x4c4f434c, rootDelay: 0 });
    expect(p.rootDispersion).toBe(toShortFormat(2 ** -20));
  });

  it("unsynchronised: the bytes chronyd sends (leap 3, stratum 0, refid 0, ref time 0, 1 s / 1 s)", () => {
    const clock = new FakeClock();
    const r = new NtpResponder(ntpSite({ stratum: { mode: "auto" } }), {
      clock,
      hostSync: new StaticHostSync(unsynchronised("none", "x")),
    });
    const p = replyOf(r.respond(request(), "127.0.0.1", clock.now()));
    expect(p).toMatchObject({
      leap: 3,
      stratum: 0,
      referenceId: 0,
      rootDelay: 0x10000,
      rootDispersion: 0x10000,
      referenceTimestamp: { seconds: 0, fraction: 0 },
    });
  });

  it("follows a change of host state on the next request", () => {
    const clock = new FakeClock();
    const host = new StaticHostSync(unsynchronised("none", "x"));
    const r = new NtpResponder(ntpSite({ stratum: { mode: "auto" } }), { clock, hostSync: host });
    expect(replyOf(r.respond(request(), "127.0.0.1", clock.now())).leap).toBe(3);
    host.set(SYNCED);
    const p = replyOf(r.respond(request(), "127.0.0.1", clock.now()));
    expect(p).toMatchObject({
      leap: 0,
      stratum: 2,
      referenceId: 0xcb00710a,
      rootDelay: toShortFormat(0.004),
    });
  });

  it("puts the transmit timestamp no earlier than receive even if the clock stepped back", () => {
    const clock = new FakeClock({ sec: 1_700_000_000, nsec: 0 });
    const r = new NtpResponder(ntpSite(), { clock, hostSync: new StaticHostSync(SYNCED) });
    const received = { sec: 1_700_000_005, nsec: 0 };
    const p = replyOf(r.respond(request(), "127.0.0.1", received));
    expect(p.transmitTimestamp).toEqual(p.receiveTimestamp);
  });

  it("serves correct timestamps across the 2036 rollover", () => {
    const eraEnd = 2 ** 32 - NTP_UNIX_OFFSET;
    const clock = new SteppingClock({ sec: eraEnd - 1, nsec: 999_999_000 }, 2_000);
    const r = new NtpResponder(ntpSite(), { clock, hostSync: new StaticHostSync(SYNCED) });
    const received = clock.now();
    const p = replyOf(r.respond(request(), "127.0.0.1", received));
    // floor(999_999_000 · 2^32 / 1e9) = 2^32 − ceil(1000 · 4.294967296)
    expect(p.receiveTimestamp).toEqual({ seconds: 0xffffffff, fraction: 2 ** 32 - 4295 });
    expect(p.transmitTimestamp.seconds).toBe(0);
    expect(timestampToInstant(p.transmitTimestamp, eraEnd)).toEqual({ sec: eraEnd, nsec: 1_000 });
  });
});

describe("NtpResponder: rate limiting", () => {
  const limited = ntpSite({ rateLimit: { enabled: true, interval: 3, burst: 2, leak: 0, kod: false } });

  it("answers the burst, then drops, then answers again after the interval", () => {
    const clock = new FakeClock({ sec: 1_700_000_000, nsec: 0 });
    const r = new NtpResponder(limited, { clock, hostSync: new StaticHostSync(SYNCED) });
    const kinds = () => r.respond(request({ poll: 4 }), "198.51.100.9", clock.now()).kind;
    expect([kinds(), kinds(), kinds()]).toEqual(["reply", "reply", "rate-limited"]);
    expect(r.respond(request(), "198.51.100.10", clock.now()).kind).toBe("reply");
    clock.advanceMs(8000);
    expect(kinds()).toBe("reply");
    // chronyd raises the poll in replies to at least the rate-limit interval.
    clock.advanceMs(8000);
    expect(replyOf(r.respond(request({ poll: 0 }), "198.51.100.9", clock.now())).poll).toBe(3);
  });

  it("sends a KoD RATE when enabled: stratum 0, refid RATE, origin echoed, no time information", () => {
    const clock = new FakeClock({ sec: 1_700_000_000, nsec: 0 });
    const site = ntpSite({ rateLimit: { enabled: true, interval: 3, burst: 1, leak: 0, kod: true } });
    const r = new NtpResponder(site, { clock, hostSync: new StaticHostSync(SYNCED) });
    r.respond(request(), "198.51.100.9", clock.now());
    const req = request({ version: 3, poll: 4 });
    const d = r.respond(req, "198.51.100.9", clock.now());
    expect(d.kind).toBe("kod");
    const p = replyOf(d);
    expect(p).toMatchObject({ leap: 3, version: 3, mode: 4, stratum: 0, referenceId: 0x52415445, poll: 4 });
    expect(p.originTimestamp).toEqual({ seconds: 0xe9000000, fraction: 0x12345678 });
    expect(p.receiveTimestamp).toEqual(p.originTimestamp);
    expect(p.transmitTimestamp).toEqual(p.originTimestamp);
    expect(r.respond(req, "198.51.100.9", clock.now()).kind).toBe("rate-limited");
  });

  it("keeps the client table across a reload with the same limits, and starts afresh when they change", () => {
    const clock = new FakeClock();
    const deps = { clock, hostSync: new StaticHostSync(SYNCED) };
    const r1 = new NtpResponder(limited, deps);
    r1.respond(request(), "198.51.100.9", clock.now());
    r1.respond(request(), "198.51.100.9", clock.now());
    const r2 = new NtpResponder({ ...limited, refid: "GPS" }, deps, r1);
    expect(r2.limiter).toBe(r1.limiter);
    expect(r2.respond(request(), "198.51.100.9", clock.now()).kind).toBe("rate-limited");
    const r3 = new NtpResponder({ ...limited, rateLimit: { ...limited.rateLimit, burst: 3 } }, deps, r2);
    expect(r3.limiter).not.toBe(r1.limiter);
    expect(r3.respond(request(), "198.51.100.9", clock.now()).kind).toBe("reply");
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { networkKey } from "./client-address.js";
import { MAX_BUCKETS, RateDecision, RateLimiter, ResponseClass } from "./rate-limiter.js";

const { ANSWER, DROP, SLIP } = RateDecision;
const SIP_A = "sip.fabrikam.com/A";

describe("RateLimiter bucket math (fake clock)", () => {
  it("allows the rate, then slips every Nth limited response and drops the rest; refills at the rate", () => {
    const rl = new RateLimiter({ responsesPerSecond: 5, slip: 2 });
    const t = 1_000_000;
    const got = Array.from({ length: 11 }, () => rl.check("198.51.100.7", ResponseClass.ANSWER, SIP_A, t));
    expect(got).toEqual([ANSWER, ANSWER, ANSWER, ANSWER, ANSWER, DROP, SLIP, DROP, SLIP, DROP, SLIP]);
    // 200 ms at 5/s refills one token: one more answer, then limited again.
    expect(rl.check("198.51.100.7", ResponseClass.ANSWER, SIP_A, t + 200)).toBe(ANSWER);
    expect(rl.check("198.51.100.7", ResponseClass.ANSWER, SIP_A, t + 200)).toBe(DROP);
    // 199 ms later not yet a whole token.
    expect(rl.check("198.51.100.7", ResponseClass.ANSWER, SIP_A, t + 399)).toBe(SLIP);
    // A long silence refills one second's worth, never more.
    const after = Array.from({ length: 7 }, () =>
      rl.check("198.51.100.7", ResponseClass.ANSWER, SIP_A, t + 60_000),
    );
    expect(after.filter((d) => d === ANSWER)).toHaveLength(5);
  });

  it("slip 1 truncates every limited response, slip 0 drops them all, slip 3 every third", () => {
    const limitedOf = (slip: number) => {
      const rl = new RateLimiter({ responsesPerSecond: 1, slip });
      rl.check("203.0.113.1", ResponseClass.ANSWER, SIP_A, 0);
      return Array.from({ length: 6 }, () => rl.check("203.0.113.1", ResponseClass.ANSWER, SIP_A, 0));
    };
    expect(limitedOf(1)).toEqual(Array(6).fill(SLIP));
    expect(limitedOf(0)).toEqual(Array(6).fill(DROP));
    expect(limitedOf(3)).toEqual([DROP, DROP, SLIP, DROP, DROP, SLIP]);
  });

  it("keys by client network, class and name: only identical responses to one network share a bucket", () => {
    const rl = new RateLimiter({ responsesPerSecond: 1, slip: 0 });
    expect(rl.check("203.0.113.1", ResponseClass.ANSWER, SIP_A, 0)).toBe(ANSWER);
    // Same /24, same name and type: shared.
    expect(rl.check("203.0.113.200", ResponseClass.ANSWER, SIP_A, 0)).toBe(DROP);
    // Another name, another class, another /24: each its own bucket.
    expect(rl.check("203.0.113.1", ResponseClass.ANSWER, "pool01.contoso.com/A", 0)).toBe(ANSWER);
    expect(rl.check("203.0.113.1", ResponseClass.NODATA, SIP_A, 0)).toBe(ANSWER);
    expect(rl.check("203.0.113.1", ResponseClass.NXDOMAIN, SIP_A, 0)).toBe(ANSWER);
    expect(rl.check("203.0.113.1", ResponseClass.ERROR, SIP_A, 0)).toBe(ANSWER);
    expect(rl.check("203.0.114.1", ResponseClass.ANSWER, SIP_A, 0)).toBe(ANSWER);
    // IPv4-mapped IPv6 is the same IPv4 network.
    expect(rl.check("::ffff:203.0.114.9", ResponseClass.ANSWER, SIP_A, 0)).toBe(DROP);
    expect(rl.size).toBe(6);
  });

  it("gives each class its own rate; 0 leaves that class unlimited; responsesPerSecond 0 turns all off", () => {
    const rl = new RateLimiter({
      responsesPerSecond: 2,
      nodataPerSecond: 0,
      nxdomainsPerSecond: 4,
      errorsPerSecond: 1,
      slip: 0,
    });
    const answers = (cls: ResponseClass) =>
      Array.from({ length: 10 }, () => rl.check("198.51.100.9", cls, "zone", 0)).filter((d) => d === ANSWER)
        .length;
    expect([
      answers(ResponseClass.ANSWER),
      answers(ResponseClass.NODATA),
      answers(ResponseClass.NXDOMAIN),
      answers(ResponseClass.ERROR),
    ]).toEqual([2, 10, 4, 1]);
    expect(rl.rate(ResponseClass.NODATA)).toBe(0);

    const off = new RateLimiter({ responsesPerSecond: 0, nxdomainsPerSecond: 1, slip: 2 });
    expect(off.enabled).toBe(false);
    for (let i = 0; i < 5; i++) expect(off.check("1.2.3.4", ResponseClass.NXDOMAIN, "z", 0)).toBe(ANSWER);
    expect(off.size).toBe(0);
  });

  it("classes default to responsesPerSecond when absent", () => {
    const rl = new RateLimiter({ responsesPerSecond: 7, slip: 2 });
    expect(
      [ResponseClass.NODATA, ResponseClass.NXDOMAIN, ResponseClass.ERROR].map((c) => rl.rate(c)),
    ).toEqual([7, 7, 7]);
  });

  it("honours the prefix lengths (IPv4 and IPv6) and forgets the table when they change", () => {
    const rl = new RateLimiter({
      responsesPerSecond: 1,
      slip: 0,
      ipv4PrefixLength: 32,
      ipv6PrefixLength: 64,
    });
    expect(rl.check("198.51.100.1", ResponseClass.ANSWER, SIP_A, 0)).toBe(ANSWER);
    expect(rl.check("198.51.100.2", ResponseClass.ANSWER, SIP_A, 0)).toBe(ANSWER);
    expect(rl.check("198.51.100.2", ResponseClass.ANSWER, SIP_A, 0)).toBe(DROP);
    expect(rl.check("2001:db8:0:1::1", ResponseClass.ANSWER, SIP_A, 0)).toBe(ANSWER);
    expect(rl.check("2001:db8:0:1:ffff::2", ResponseClass.ANSWER, SIP_A, 0)).toBe(DROP);
    expect(rl.check("2001:db8:0:2::1", ResponseClass.ANSWER, SIP_A, 0)).toBe(ANSWER);
    expect(rl.check("198.51.100.2", ResponseClass.ANSWER, SIP_A, 0)).toBe(DROP);
    rl.update({ responsesPerSecond: 1, slip: 0, ipv4PrefixLength: 16 });
    expect(rl.size).toBe(0);
    // The same client as just before: its network is cut anew to /16.
    expect(rl.check("198.51.100.2", ResponseClass.ANSWER, SIP_A, 0)).toBe(ANSWER);
    expect(rl.check("198.51.200.1", ResponseClass.ANSWER, SIP_A, 0)).toBe(DROP);
    // A rate change alone keeps what the buckets know.
    rl.update({ responsesPerSecond: 2, slip: 0, ipv4PrefixLength: 16 });
    expect(rl.size).toBe(1);
  });

  it("forgets object-keyed buckets on request, keeping the ones keyed by text", () => {
    const rl = new RateLimiter({ responsesPerSecond: 1, slip: 0 });
    const keptAnswer = {};
    rl.check("10.0.0.1", ResponseClass.ANSWER, keptAnswer, 0);
    rl.check("10.0.0.1", ResponseClass.ANSWER, SIP_A, 0);
    rl.check("10.0.1.1", ResponseClass.NXDOMAIN, {}, 0);
    rl.forgetObjectKeys();
    expect(rl.size).toBe(1);
    expect(rl.check("10.0.0.1", ResponseClass.ANSWER, keptAnswer, 0)).toBe(ANSWER);
    expect(rl.check("10.0.0.1", ResponseClass.ANSWER, SIP_A, 0)).toBe(DROP);
  });

  it("keeps its table bounded, forgetting the oldest bucket", () => {
    const rl = new RateLimiter({ responsesPerSecond: 1, slip: 0 }, 100);
    rl.check("10.0.0.1", ResponseClass.ANSWER, SIP_A, 0);
    expect(rl.check("10.0.0.1", ResponseClass.ANSWER, SIP_A, 0)).toBe(DROP);
    for (let i = 0; i < 1000; i++) rl.check("10.0.0.1", ResponseClass.ANSWER, `name${i}`, 0);
    expect(rl.size).toBe(100);
    // The first bucket was forgotten: a fresh allowance.
    expect(rl.check("10.0.0.1", ResponseClass.ANSWER, SIP_A, 0)).toBe(ANSWER);
    expect(MAX_BUCKETS).toBe(65_536);
  });
});

describe("networkKey", () => {
  it("cuts IPv4 and IPv6 addresses to their prefix", () => {
    expect(networkKey("198.51.100.7")).toBe(networkKey("198.51.100.250"));
    expect(networkKey("198.51.100.7")).not.toBe(networkKey("198.51.101.7"));
    expect(networkKey("198.51.100.7", 0)).toBe(networkKey("203.0.113.1", 0));
    expect(networkKey("198.51.100.7", 32)).not.toBe(networkKey("198.51.100.6", 32));
    expect(networkKey("198.51.100.7", 31)).toBe(networkKey("198.51.100.6", 31));
    expect(networkKey("2001:db8:0:1::1")).toBe(networkKey("2001:db8:0:ff::2"));
    expect(networkKey("2001:db8:0:100::1")).not.toBe(networkKey("2001:db8:0:1::1"));
    // /60: the fourth group's top nibble counts, the rest does not.
    expect(networkKey("2001:db8:0:10::1", 24, 60)).toBe(networkKey("2001:db8:0:1f::1", 24, 60));
    expect(networkKey("2001:db8:0:10::1", 24, 60)).not.toBe(networkKey("2001:db8:0:20::1", 24, 60));
    expect(networkKey("2001:db8::1", 24, 128)).not.toBe(networkKey("2001:db8::2", 24, 128));
    // Families never share a key, nor does text that is no address.
    expect(networkKey("::")).not.toBe(networkKey("0.0.0.0"));
    expect(networkKey("not an address")).toMatch(/^\?:/);
  });
});

describe("networkKey properties", () => {
  const sameTopBits = (a: readonly number[], b: readonly number[], bits: number): boolean => {
    for (let bit = 0; bit < bits; bit++) {
      const mask = 0x80 >> (bit & 7);
      if ((a[bit >> 3]! & mask) !== (b[bit >> 3]! & mask)) return false;
    }
    return true;
  };
  /** `a` with one bit flipped (or none): half the pairs share their first bits, half do not. */
  const flipped = (a: readonly number[], bit: number): number[] =>
    a.map((x, i) => (i === bit >> 3 ? x ^ (0x80 >> (bit & 7)) : x));
  const v6Text = (bytes: readonly number[]) =>
    Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(":");

  it("puts two IPv4 addresses in one network exactly when their first N bits agree", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 32 }),
        fc.boolean(),
        (a, flip, bits, mapped) => {
          const b = flipped(a, flip);
          const text = (x: number[]) => `${mapped ? "::ffff:" : ""}${x.join(".")}`;
          expect(networkKey(text(a), bits) === networkKey(b.join("."), bits)).toBe(sameTopBits(a, b, bits));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("puts two IPv6 addresses in one network exactly when their first N bits agree", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }),
        fc.integer({ min: 8, max: 128 }),
        fc.integer({ min: 0, max: 128 }),
        (random, flip, bits) => {
          // Stay out of ::ffff:0:0/96, which is IPv4 and keyed as such.
          const a = [0x20, ...random.slice(1)];
          const b = flipped(a, flip);
          expect(networkKey(v6Text(a), 24, bits) === networkKey(v6Text(b), 24, bits)).toBe(
            sameTopBits(a, b, bits),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("RateLimiter properties", () => {
  const request = fc.record({
    gapMs: fc.integer({ min: 0, max: 400 }),
    host: fc.integer({ min: 1, max: 3 }),
    net: fc.integer({ min: 0, max: 1 }),
    cls: fc.constantFrom(
      ResponseClass.ANSWER,
      ResponseClass.NODATA,
      ResponseClass.NXDOMAIN,
      ResponseClass.ERROR,
    ),
    name: fc.constantFrom("a", "b"),
  });

  it("never answers more than the rate allows a key, and slips exactly every Nth limited response", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(request, { maxLength: 300 }),
        (rate, slip, requests) => {
          const rl = new RateLimiter({ responsesPerSecond: rate, nxdomainsPerSecond: rate * 2, slip });
          const perKey = new Map<
            string,
            { first: number; last: number; answers: number; limited: number; slips: number }
          >();
          let now = 5_000;
          for (const r of requests) {
            now += r.gapMs;
            const decision = rl.check(`198.51.${100 + r.net}.${r.host}`, r.cls, r.name, now);
            const key = `${r.net}/${r.cls}/${r.name}`;
            const k = perKey.get(key) ?? { first: now, last: now, answers: 0, limited: 0, slips: 0 };
            k.last = now;
            if (decision === ANSWER) k.answers++;
            else {
              k.limited++;
              if (decision === SLIP) k.slips++;
              // The Nth, 2Nth... limited response of a key slips, no other.
              expect(decision === SLIP).toBe(slip > 0 && k.limited % slip === 0);
            }
            perKey.set(key, k);
            const keyRate = r.cls === ResponseClass.NXDOMAIN ? rate * 2 : rate;
            // Token bucket bound: one second of burst plus the refill over the key's span.
            expect(k.answers).toBeLessThanOrEqual(keyRate + (keyRate * (k.last - k.first)) / 1000 + 1e-9);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never limits a key whose requests stay within its rate", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 200 }),
        (rate, extraGaps) => {
          const rl = new RateLimiter({ responsesPerSecond: rate, slip: 2 });
          let now = 0;
          for (const extra of extraGaps) {
            now += Math.ceil(1000 / rate) + extra;
            expect(rl.check("203.0.113.5", ResponseClass.ANSWER, SIP_A, now)).toBe(ANSWER);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assembleOptions, decodeOptionsArea, toInstances } from "./options-field.js";

const EMPTY_FILE = new Uint8Array(128);
const EMPTY_SNAME = new Uint8Array(64);

/** Lays the three fields out where a BOOTP message has them, then decodes its options. */
function decodeFields(options: Uint8Array, file: Uint8Array, sname: Uint8Array) {
  const message = new Uint8Array(240 + options.length);
  message.set(sname, 44);
  message.set(file, 108);
  message.set(options, 240);
  return decodeOptionsArea(message, 240, 108, 44);
}

describe("decodeOptionsArea", () => {
  it("skips pads, stops at END and concatenates split options (RFC 3396)", () => {
    const area = Uint8Array.of(0, 0, 53, 1, 1, 119, 2, 7, 8, 0, 119, 1, 9, 255, 6, 4, 1, 2, 3, 4);
    const r = decodeFields(area, EMPTY_FILE, EMPTY_SNAME);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.options.keys()]).toEqual([53, 119]);
    expect([...r.options.get(119)!]).toEqual([7, 8, 9]);
  });

  it("reads file then sname when overloaded, options field first", () => {
    const file = new Uint8Array(128);
    file.set([12, 2, 0x61, 0x62, 255]);
    const sname = new Uint8Array(64);
    sname.set([12, 1, 0x63, 255]);
    const r = decodeFields(Uint8Array.of(52, 1, 3, 12, 1, 0x5f, 255), file, sname);
    expect(r.ok && Buffer.from(r.options.get(12)!).toString()).toBe("_abc");
  });

  it("rejects truncated options and bad overload values with a reason", () => {
    expect(decodeFields(Uint8Array.of(53, 4, 1), EMPTY_FILE, EMPTY_SNAME)).toEqual({
      ok: false,
      error: "option 53 in the options field runs past the end (length 4)",
    });
    expect(decodeFields(Uint8Array.of(53), EMPTY_FILE, EMPTY_SNAME).ok).toBe(false);
    expect(decodeFields(Uint8Array.of(52, 1, 4, 255), EMPTY_FILE, EMPTY_SNAME).ok).toBe(false);
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.uint8Array({ minLength: 128, maxLength: 128 }),
        (a, f) => {
          const r = decodeFields(a, f, EMPTY_SNAME);
          expect(typeof r.ok).toBe("boolean");
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("toInstances", () => {
  it("splits at 255 bytes and keeps zero-length options", () => {
    expect(toInstances(119, new Uint8Array(600)).map((t) => t[1])).toEqual([255, 255, 90]);
    expect([...toInstances(80, new Uint8Array(0))[0]!]).toEqual([80, 0]);
  });
});

describe("assembleOptions", () => {
  const option = fc.record({
    code: fc.integer({ min: 1, max: 254 }).filter((c) => c !== 52 && c !== 82),
    data: fc.uint8Array({ maxLength: 300 }),
  });

  it("round-trips whatever it includes, within the capacity, keeping 82 last", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(option, { selector: (o) => o.code, maxLength: 25 }),
        fc.integer({ min: 308, max: 1232 }),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        (options, capacity, agent) => {
          const r = assembleOptions(options, capacity, agent ? { code: 82, data: agent } : undefined);
          expect(r.main.length).toBeLessThanOrEqual(capacity);
          const file = new Uint8Array(128);
          const sname = new Uint8Array(64);
          if (r.file) file.set(r.file);
          if (r.sname) sname.set(r.sname);
          const decoded = decodeFields(r.main, file, sname);
          expect(decoded.ok).toBe(true);
          if (!decoded.ok) return;
          for (const o of options) {
            if (r.included.includes(o.code)) expect([...decoded.options.get(o.code)!]).toEqual([...o.data]);
            else expect(decoded.options.has(o.code)).toBe(false);
          }
          expect(r.included.length + r.dropped.length).toBe(options.length + (agent ? 1 : 0));
          if (agent) {
            expect([...decoded.options.get(82)!]).toEqual([...agent]);
            // 82 is the last option before END in the options field.
            const tail = r.main.subarray(r.main.length - 1 - agent.length - 2);
            expect(tail[0]).toBe(82);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("drops the lowest priority option first", () => {
    const r = assembleOptions(
      [
        { code: 53, data: Uint8Array.of(5) },
        { code: 43, data: new Uint8Array(250) },
        { code: 44, data: new Uint8Array(250) },
      ],
      308,
    );
    expect(r.included).toEqual([53, 43]);
    expect(r.dropped).toEqual([44]);
  });
});

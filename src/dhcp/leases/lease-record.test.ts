import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Lease } from "./lease.js";
import { decodeLine, encodeDelete, encodePut, JOURNAL_FORMAT_VERSION } from "./lease-record.js";

const lease: Lease = {
  address: 0xc0a80764, // 192.168.7.100
  clientKey: "hw:1:0004f2000001",
  mac: "00:04:f2:00:00:01",
  hostname: "tanjay01",
  vendorClass: "Polycom-CX700",
  subnet: "192.168.7.0/24",
  state: "active",
  start: 1_700_000_000_000,
  expiresAt: 1_700_028_800_000,
};

const arbLease: fc.Arbitrary<Lease> = fc.record(
  {
    address: fc.integer({ min: 0, max: 0xffffffff }),
    clientKey: fc.string({ minLength: 1 }),
    mac: fc.string(),
    hostname: fc.string({ unit: "grapheme" }),
    vendorClass: fc.string({ unit: "binary" }),
    subnet: fc.string({ minLength: 1 }),
    state: fc.constantFrom("active", "released", "expired", "declined"),
    start: fc.integer({ min: 0, max: 2 ** 52 }),
    expiresAt: fc.maxSafeInteger(),
  },
  { requiredKeys: ["address", "clientKey", "mac", "subnet", "state", "start", "expiresAt"] },
);

describe("journal record codec", () => {
  it("writes a put as one readable JSON line with the format version and dotted address", () => {
    const line = encodePut(lease);
    expect(line).not.toContain("\n");
    const row = JSON.parse(line) as Record<string, unknown>;
    expect(row.v).toBe(JOURNAL_FORMAT_VERSION);
    expect(row.op).toBe("put");
    expect(row.address).toBe("192.168.7.100");
    expect(decodeLine(line)).toEqual({ kind: "record", record: { op: "put", lease } });
  });

  it("round-trips a delete", () => {
    expect(encodeDelete(0x0a000001)).toBe('{"v":1,"op":"delete","address":"10.0.0.1"}');
    expect(decodeLine(encodeDelete(0x0a000001))).toEqual({
      kind: "record",
      record: { op: "delete", address: 0x0a000001 },
    });
  });

  it("round-trips any lease, hostnames with newlines and lone surrogates included", () => {
    fc.assert(
      fc.property(arbLease, (l) => {
        const line = encodePut(l);
        expect(line).not.toContain("\n");
        const decoded = decodeLine(line);
        expect(decoded).toEqual({ kind: "record", record: { op: "put", lease: l } });
      }),
    );
  });

  it("reports a newer format version instead of calling it corrupt", () => {
    expect(decodeLine('{"v":2,"op":"put","address":"1.2.3.4"}')).toEqual({
      kind: "newer-version",
      version: 2,
    });
  });

  it.each([
    ['{"v":1,"op":"put","address":"192.168.7.100","clientKey":"hw', "not valid JSON"],
    ["[1,2]", "not a JSON object"],
    ['{"op":"delete","address":"1.2.3.4"}', "format version"],
    ['{"v":0,"op":"delete","address":"1.2.3.4"}', "format version"],
    ['{"v":1,"op":"delete","address":"1.2.3.256"}', "invalid address"],
    ['{"v":1,"op":"drop","address":"1.2.3.4"}', "unknown op"],
    [encodePut(lease).replace('"active"', '"leased"'), "unknown state"],
    [encodePut(lease).replace('"start":1700000000000', '"start":"soon"'), "numbers"],
    [encodePut(lease).replace('"clientKey":"hw:1:0004f2000001"', '"clientKey":""'), "clientKey"],
    ["\u0000\u0000\u0000\u0000", "not valid JSON"],
  ])("rejects %s as corrupt (%s)", (line, reason) => {
    const decoded = decodeLine(line);
    expect(decoded.kind).toBe("corrupt");
    expect(decoded.kind === "corrupt" && decoded.reason).toContain(reason);
  });

  it("never throws on arbitrary or mutated lines", () => {
    const valid = encodePut(lease);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.json(),
          fc
            .tuple(fc.nat(valid.length), fc.nat(valid.length), fc.string())
            .map(([a, b, s]) => valid.slice(0, Math.min(a, b)) + s + valid.slice(Math.max(a, b))),
        ),
        (line) => {
          const decoded = decodeLine(line);
          expect(["record", "corrupt", "newer-version"]).toContain(decoded.kind);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

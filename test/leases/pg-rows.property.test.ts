import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Lease, LeaseState } from "../../src/dhcp/leases/lease.js";
import { parseLeaseChange } from "../../src/dhcp/leases/pg-rows.js";

/**
 * The change notifications other servers send (pg-schema.ts's trigger builds them with
 * json_build_object): decoding never throws, ignores what is not ours, and gives back the lease.
 */

const arbLease: fc.Arbitrary<Lease> = fc
  .record({
    address: fc.integer({ min: 0, max: 0xffffffff }),
    clientKey: fc.string({ minLength: 1 }),
    mac: fc.string(),
    subnet: fc.string({ minLength: 1 }),
    state: fc.constantFrom<LeaseState>("active", "released", "expired", "declined"),
    start: fc.integer({ min: 0, max: 2 ** 52 }),
    expiresAt: fc.integer({ min: 0, max: 2 ** 52 }),
    hostname: fc.option(fc.string(), { nil: undefined }),
    vendorClass: fc.option(fc.string(), { nil: undefined }),
  })
  .map((l) => {
    const { hostname, vendorClass, ...rest } = l;
    return {
      ...rest,
      ...(hostname === undefined ? {} : { hostname }),
      ...(vendorClass === undefined ? {} : { vendorClass }),
    };
  });

/** The payload as the trigger writes it (SQL NULL → JSON null). */
function payload(origin: string, version: number, lease: Lease): string {
  return JSON.stringify({
    o: origin,
    a: lease.address,
    v: version,
    k: lease.clientKey,
    m: lease.mac,
    h: lease.hostname ?? null,
    c: lease.vendorClass ?? null,
    n: lease.subnet,
    s: lease.state,
    t: lease.start,
    e: lease.expiresAt,
  });
}

describe("parseLeaseChange", () => {
  it("gives back every lease the trigger announces", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), arbLease, (origin, version, lease) => {
        const change = parseLeaseChange(payload(origin, version, lease));
        expect(change).toEqual({ origin, address: lease.address, version, deleted: false, lease });
      }),
    );
  });

  it("reads a delete", () => {
    expect(parseLeaseChange('{"o":"ab","a":7,"v":9,"d":true}')).toEqual({
      origin: "ab",
      address: 7,
      version: 9,
      deleted: true,
    });
  });

  it("never throws, and ignores what is not a change of ours", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const change = parseLeaseChange(text);
          if (change !== undefined) expect(typeof change.address).toBe("number");
        },
      ),
      { numRuns: 500 },
    );
    expect(parseLeaseChange(undefined)).toBeUndefined();
    expect(parseLeaseChange('{"o":"ab","a":7,"v":9,"s":"leased"}')).toBeUndefined();
    expect(parseLeaseChange('{"a":7,"v":9,"d":true}')).toBeUndefined();
  });
});

/**
 * SITEBOOT_UDP_EDGE: unset or empty picks the native edge when built, "native" insists on it,
 * "dgram" forces Node's sockets, and any other value is an error rather than silently ignored.
 * (Without the native module, "native" fails and unset falls back: test/net/without-native.test.ts.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { useUdpBatch } from "../../src/net/udp-batch.js";

const saved = process.env.SITEBOOT_UDP_EDGE;
afterEach(() => {
  if (saved === undefined) delete process.env.SITEBOOT_UDP_EDGE;
  else process.env.SITEBOOT_UDP_EDGE = saved;
});

function edgeFor(value: string | undefined): boolean {
  if (value === undefined) delete process.env.SITEBOOT_UDP_EDGE;
  else process.env.SITEBOOT_UDP_EDGE = value;
  return useUdpBatch();
}

describe("SITEBOOT_UDP_EDGE", () => {
  it("uses the built native edge when unset, empty or native, and dgram when asked", () => {
    expect(edgeFor(undefined)).toBe(true);
    expect(edgeFor("")).toBe(true);
    expect(edgeFor("native")).toBe(true);
    expect(edgeFor("dgram")).toBe(false);
  });

  it("refuses any other value, naming it and the accepted ones", () => {
    for (const value of ["fast", "Native", "udp", " dgram"]) {
      expect(() => edgeFor(value)).toThrow(
        `SITEBOOT_UDP_EDGE=${JSON.stringify(value)} is not understood: use "native"`,
      );
    }
  });
});

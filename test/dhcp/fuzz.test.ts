import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DhcpMessageType } from "../../src/dhcp/packet.js";
import { buildClientMessage, u32 } from "./client-messages.js";
import { Scenario } from "./scenario-harness.js";
import { buildSite, dhcpClass, glob, host, ip, labSubnet, subnet, text } from "./site-builder.js";

function fuzzSite() {
  return buildSite({
    subnets: [
      labSubnet({ pools: [["198.51.100.100", "198.51.100.110"]] }),
      subnet(
        { cidr: "203.0.113.0/24", serverId: "198.51.100.2", pools: [["203.0.113.10", "203.0.113.12"]] },
        1,
      ),
    ],
    classes: [
      dhcpClass("polycom", { kind: "enterprise", enterprise: 13885 }, { 160: text("x") }),
      dhcpClass("glob", glob("Poly*"), { 160: text("y") }),
    ],
    hosts: [host({ mac: "00:04:f2:00:00:01", address: "198.51.100.50" })],
  });
}

const optionEntry = fc.tuple(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ maxLength: 40 }));
const clientMessage = fc.record({
  type: fc.integer({ min: 0, max: 10 }),
  mac: fc.constantFrom("00:04:f2:00:00:01", "00:00:00:00:00:02", "00:00:00:00:00:03", "aa:bb:cc:dd:ee:ff"),
  xid: fc.nat(),
  ciaddr: fc.constantFrom(0, ip("198.51.100.100"), ip("198.51.100.50"), ip("203.0.113.10"), 0xffffffff),
  giaddr: fc.constantFrom(0, 0, ip("203.0.113.1"), ip("192.0.2.1")),
  flags: fc.constantFrom(0, 0x8000, 0xffff),
  options: fc.array(
    fc.oneof(
      optionEntry,
      fc.constantFrom<[number, Uint8Array]>(
        [54, u32(ip("198.51.100.2"))],
        [50, u32(ip("198.51.100.101"))],
        [50, u32(ip("198.51.100.50"))],
        [57, Uint8Array.of(0, 1)],
        [61, Uint8Array.of(1, 2)],
        [52, Uint8Array.of(3)],
        [55, Uint8Array.of(1, 3, 6, 50, 55, 60, 61, 82, 255, 0)],
      ),
    ),
    { maxLength: 8 },
  ),
});

describe("fuzzing the decision core", () => {
  it("random messages never throw and the server keeps serving", async () => {
    const s = new Scenario(fuzzSite());
    await fc.assert(
      fc.asyncProperty(clientMessage, fc.integer({ min: 0, max: 400 }), async (message, seconds) => {
        s.advance(seconds);
        await s.send(message, "lab0");
        const outcome = s.core.handle(buildClientMessage(message), { interface: "lab0" }, s.now);
        for (const lease of outcome.leaseWrites) await s.leases.put(lease);
        if (outcome.reply) {
          expect(outcome.reply.bytes.length).toBeGreaterThanOrEqual(300);
          expect(outcome.reply.bytes.length).toBeLessThanOrEqual(1500 - 28);
        }
        const { writes } = s.core.reclaim(s.now);
        for (const lease of writes) await s.leases.put(lease);
      }),
      { numRuns: 2000 },
    );
    // Still serving: a fresh client completes DORA (some address may be exhausted; allow the reservation).
    s.advance(100_000);
    for (const lease of s.core.reclaim(s.now).writes) await s.leases.put(lease);
    const { ack } = await s.doDORA("00:04:f2:00:00:01");
    expect(ack.packet?.options.get(53)?.[0]).toBe(DhcpMessageType.ACK);
  });

  it("mutated and truncated real messages never throw", () => {
    const s = new Scenario(fuzzSite());
    const bases = [
      buildClientMessage({ type: 1, mac: "00:00:00:00:00:02", options: [[55, Uint8Array.of(1, 3, 6)]] }),
      buildClientMessage({
        type: 3,
        mac: "00:00:00:00:00:02",
        options: [
          [54, u32(ip("198.51.100.2"))],
          [50, u32(ip("198.51.100.100"))],
        ],
      }),
      buildClientMessage({
        type: 3,
        mac: "00:00:00:00:00:02",
        giaddr: ip("203.0.113.1"),
        options: [[82, Uint8Array.of(1, 1, 1)]],
      }),
    ];
    fc.assert(
      fc.property(
        fc.nat(bases.length - 1),
        fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), { maxLength: 30 }),
        fc.nat(400),
        (which, mutations, cut) => {
          const bytes = bases[which]!.slice(0, cut);
          for (const [at, value] of mutations) if (at < bytes.length) bytes[at] = value;
          s.core.handle(bytes, { interface: "lab0" }, s.now);
        },
      ),
      { numRuns: 20000 },
    );
  });
});

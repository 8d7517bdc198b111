/**
 * A reservation by MAC belongs to the device with that MAC whatever it sends as option 61: the
 * RFC 2132 form (01 + MAC), the RFC 4361 form (ff + IAID + DUID, sent by default by dhcpcd and
 * systemd-networkd) or any other bytes. Its leases are keyed by the reservation, so renewals,
 * restarts and a client that changes its identifier all find the same lease.
 */
import { describe, expect, it } from "vitest";
import { formatIpv4 } from "../../src/config/ipv4.js";
import { DhcpMessageType } from "../../src/dhcp/packet.js";
import { DhcpServerCore } from "../../src/dhcp/server-core.js";
import { u32 } from "./client-messages.js";
import { Scenario } from "./scenario-harness.js";
import { buildSite, host, ip, labSubnet, text } from "./site-builder.js";

const RESERVED_MAC = "00:04:f2:00:00:01";
const MAC_BYTES = [0x00, 0x04, 0xf2, 0x00, 0x00, 0x01] as const;
const RESERVED = "198.51.100.50";
const SERVER = ip("198.51.100.2");
const IAID = [0x5c, 0x6e, 0x2a, 0x17] as const;

/** Option 61 as clients send it. */
const FORMS: [string, Uint8Array][] = [
  ["01 + MAC (RFC 2132)", Uint8Array.of(1, ...MAC_BYTES)],
  [
    "ff + IAID + DUID-LLT (RFC 4361, dhcpcd)",
    Uint8Array.of(0xff, ...IAID, 0, 1, 0, 1, 0x2c, 0x1f, 0x3a, 0x10, ...MAC_BYTES),
  ],
  [
    "ff + IAID + DUID-EN (RFC 4361, systemd-networkd)",
    Uint8Array.of(0xff, ...IAID, 0, 2, 0, 0, 0xab, 0x11, 0x9d, 0x4f, 0x2e, 0x61, 0x07, 0xc3, 0x58, 0x1b),
  ],
  ["arbitrary bytes", text("tanjay01-front-desk")],
];
const DUID_ID = FORMS[1]![1];

function reservedSite(address = RESERVED) {
  return buildSite({
    hosts: [host({ name: "tanjay01", mac: RESERVED_MAC, address, options: { 66: text("host-66") } })],
  });
}

function typeOf(packet: { options: ReadonlyMap<number, Uint8Array> } | undefined) {
  return packet?.options.get(53)?.[0];
}

function activeLeases(s: Scenario) {
  return [...s.leases.all()].filter((l) => l.state === "active");
}

describe("a reservation by MAC, whatever option 61 the client sends", () => {
  it.each(FORMS)("%s: the reserved address, renewed, after a restart of client and server", async (_, id) => {
    const s = new Scenario(reservedSite());
    const withId = { options: [[61, id]] as [number, Uint8Array][] };
    const { offer, ack } = await s.doDORA(RESERVED_MAC, withId);
    expect(formatIpv4(offer.packet!.yiaddr)).toBe(RESERVED);
    expect(offer.outcome.events[0]).toMatchObject({ replyReason: "reservation" });
    expect(typeOf(ack.packet)).toBe(DhcpMessageType.ACK);
    expect(formatIpv4(ack.packet!.yiaddr)).toBe(RESERVED);
    expect(Buffer.from(ack.packet!.options.get(66)!).toString()).toBe("host-66");
    // RFC 6842: the identifier the client sent is echoed, not the one the lease is keyed by.
    expect([...ack.packet!.options.get(61)!]).toEqual([...id]);

    s.advance(1800);
    const renew = await s.doRenew(RESERVED_MAC, ip(RESERVED), withId);
    expect(typeOf(renew.packet)).toBe(DhcpMessageType.ACK);
    expect(s.leases.byAddress(ip(RESERVED))?.expiresAt).toBe(s.now + 3600_000);

    // The client reboots and checks the address it remembers (INIT-REBOOT).
    const reboot = await s.doInitReboot(RESERVED_MAC, ip(RESERVED), withId);
    expect(typeOf(reboot.packet)).toBe(DhcpMessageType.ACK);

    // The server restarts: no held offers, only the lease store.
    const restarted = new DhcpServerCore(s.core.site, s.leases);
    (s as { core: DhcpServerCore }).core = restarted;
    const afterRestart = await s.doRenew(RESERVED_MAC, ip(RESERVED), withId);
    expect(typeOf(afterRestart.packet)).toBe(DhcpMessageType.ACK);
    expect(formatIpv4((await s.doDORA(RESERVED_MAC, withId)).ack.packet!.yiaddr)).toBe(RESERVED);

    expect(activeLeases(s).map((l) => formatIpv4(l.address))).toEqual([RESERVED]);
    await s.doRelease(RESERVED_MAC, ip(RESERVED), SERVER, withId);
    expect(s.leases.byAddress(ip(RESERVED))?.state).toBe("released");
  });

  it("keeps the reserved address when the client changes its identifier (new firmware, new DUID)", async () => {
    const s = new Scenario(reservedSite());
    const plain = await s.doDORA(RESERVED_MAC);
    expect(formatIpv4(plain.ack.packet!.yiaddr)).toBe(RESERVED);
    // Its lease is active; the same device now sends a DUID, then the 01 + MAC form.
    for (const [, id] of FORMS) {
      const { offer, ack } = await s.doDORA(RESERVED_MAC, { options: [[61, id]] });
      expect(formatIpv4(offer.packet!.yiaddr)).toBe(RESERVED);
      expect(typeOf(ack.packet)).toBe(DhcpMessageType.ACK);
      const renew = await s.doRenew(RESERVED_MAC, ip(RESERVED), { options: [[61, id]] });
      expect(typeOf(renew.packet)).toBe(DhcpMessageType.ACK);
    }
    expect(activeLeases(s).map((l) => formatIpv4(l.address))).toEqual([RESERVED]);
  });

  it("never gives the reserved address to another device, even one sending 01 + the reserved MAC", async () => {
    // Reserved inside the pool, so only the reservation keeps it from the stranger.
    const s = new Scenario(reservedSite("198.51.100.150"));
    const stranger = "00:00:00:00:00:09";
    const spoof = Uint8Array.of(1, ...MAC_BYTES);
    const asked = await s.discover(stranger, {
      options: [
        [61, spoof],
        [50, u32(ip("198.51.100.150"))],
      ],
    });
    expect(formatIpv4(asked.packet!.yiaddr)).not.toBe("198.51.100.150");
    const selecting = await s.send({
      type: DhcpMessageType.REQUEST,
      mac: stranger,
      options: [
        [61, spoof],
        [54, u32(SERVER)],
        [50, u32(ip("198.51.100.150"))],
      ],
    });
    expect(typeOf(selecting.packet)).toBe(DhcpMessageType.NAK);
    expect(formatIpv4((await s.doDORA(RESERVED_MAC, { options: [[61, DUID_ID]] })).ack.packet!.yiaddr)).toBe(
      "198.51.100.150",
    );
    // The stranger cannot renew or release the host's lease with the host's identifier either.
    const renew = await s.doRenew(stranger, ip("198.51.100.150"), { options: [[61, DUID_ID]] });
    expect(typeOf(renew.packet)).toBe(DhcpMessageType.NAK);
    await s.doRelease(stranger, ip("198.51.100.150"), SERVER, { options: [[61, DUID_ID]] });
    expect(s.leases.byAddress(ip("198.51.100.150"))?.state).toBe("active");
  });

  it("a lease stored under the 01 + MAC identifier stays the host's", async () => {
    const s = new Scenario(reservedSite());
    await s.leases.put({
      address: ip(RESERVED),
      clientKey: `id:01${MAC_BYTES.map((b) => b.toString(16).padStart(2, "0")).join("")}`,
      mac: RESERVED_MAC,
      subnet: "198.51.100.0/24",
      state: "active",
      start: s.now,
      expiresAt: s.now + 3600_000,
    });
    const renew = await s.doRenew(RESERVED_MAC, ip(RESERVED), {
      options: [[61, Uint8Array.of(1, ...MAC_BYTES)]],
    });
    expect(typeOf(renew.packet)).toBe(DhcpMessageType.ACK);
    const { ack } = await s.doDORA(RESERVED_MAC, { options: [[61, DUID_ID]] });
    expect(formatIpv4(ack.packet!.yiaddr)).toBe(RESERVED);
  });

  it("a host by MAC without an address keeps its pool address when its identifier changes", async () => {
    const s = new Scenario(
      buildSite({
        subnets: [labSubnet()],
        hosts: [host({ mac: RESERVED_MAC, options: { 66: text("host-66") } })],
      }),
    );
    const first = (await s.doDORA(RESERVED_MAC)).ack.packet!.yiaddr;
    const { offer, ack } = await s.doDORA(RESERVED_MAC, { options: [[61, DUID_ID]] });
    expect(offer.packet!.yiaddr).toBe(first);
    expect(ack.packet!.yiaddr).toBe(first);
    expect(Buffer.from(ack.packet!.options.get(66)!).toString()).toBe("host-66");
    expect(activeLeases(s)).toHaveLength(1);
  });
});

import { describe, expect, it } from "vitest";
import { formatIpv4 } from "../../src/config/ipv4.js";
import { DhcpMessageType } from "../../src/dhcp/packet.js";
import type { DhcpMessageEvent } from "../../src/observe/events.js";
import { optionOrder, u32 } from "./client-messages.js";
import { Scenario } from "./scenario-harness.js";
import {
  buildSite,
  dhcpClass,
  domainList,
  glob,
  host,
  ip,
  ipBytes,
  LAB_OPTIONS,
  labSubnet,
  subnet,
  text,
} from "./site-builder.js";

/** The option value as a 32-bit number (values are views into the message). */
function u32At(value: Uint8Array): number {
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0);
}

const MAC = "00:04:f2:aa:bb:01";
const SERVER = ip("198.51.100.2");
const PRL = Uint8Array.of(1, 3, 6, 15, 119, 66, 42, 150, 58, 59);

function typeOf(packet: { options: ReadonlyMap<number, Uint8Array> } | undefined) {
  return packet?.options.get(53)?.[0];
}

describe("DORA", () => {
  it("offers a pool address by broadcast and ACKs it after the lease is stored", async () => {
    const s = new Scenario(buildSite());
    const { offer, ack } = await s.doDORA(MAC, { options: [[55, PRL]] });
    expect(typeOf(offer.packet)).toBe(DhcpMessageType.OFFER);
    expect(offer.reply?.destination).toEqual({ address: "255.255.255.255", port: 68, broadcast: true });
    const address = offer.packet!.yiaddr;
    expect(address).toBeGreaterThanOrEqual(ip("198.51.100.100"));
    expect(address).toBeLessThanOrEqual(ip("198.51.100.199"));
    expect(typeOf(ack.packet)).toBe(DhcpMessageType.ACK);
    expect(ack.packet!.yiaddr).toBe(address);
    expect(ack.packet!.op).toBe(2);
    expect(ack.packet!.xid).toBe(0x1234abcd);
    const lease = s.leases.byAddress(address);
    expect(lease).toMatchObject({
      state: "active",
      mac: MAC,
      subnet: "198.51.100.0/24",
      clientKey: "hw:1:0004f2aabb01",
    });
    expect(lease!.expiresAt - s.now).toBe(3600_000);
    expect(ack.outcome.leaseWrites.map((l) => l.address)).toEqual([address]);
  });

  it("orders options 53, 54, 51, 1, 3, then the request list, then the rest, and sends T1/T2", async () => {
    const s = new Scenario(buildSite());
    const { ack } = await s.doDORA(MAC, { options: [[55, Uint8Array.of(66, 6, 3, 1, 59, 58)]] });
    const order = optionOrder(ack.reply!.bytes);
    expect(order).toEqual([53, 54, 51, 1, 3, 66, 6, 59, 58, 15, 42, 119, 150]);
    const o = ack.packet!.options;
    expect([...o.get(54)!]).toEqual([198, 51, 100, 2]);
    expect(u32At(o.get(51)!)).toBe(3600);
    expect(u32At(o.get(58)!)).toBe(1800);
    expect(u32At(o.get(59)!)).toBe(3150);
    expect([...o.get(1)!]).toEqual([255, 255, 255, 0]);
    expect([...o.get(3)!]).toEqual([198, 51, 100, 1]);
    // Strings go out without a trailing NUL.
    expect(Buffer.from(o.get(66)!).toString("latin1")).toBe("http://prov.contoso.com/");
    expect([...o.get(119)!]).toEqual([...domainList("contoso.com", "fabrikam.com")]);
  });

  it("emits one dhcp.message per message and a dhcp.lease commit", async () => {
    const s = new Scenario(buildSite());
    await s.doDORA(MAC, {
      options: [
        [55, PRL],
        [60, text("Polycom-VVX")],
      ],
    });
    const messages = s.events.filter((e): e is DhcpMessageEvent => e.type === "dhcp.message");
    expect(messages.map((e) => [e.message, e.reply])).toEqual([
      ["DISCOVER", "OFFER"],
      ["REQUEST", "ACK"],
    ]);
    expect(messages[1]).toMatchObject({
      mac: MAC,
      vendorClass: "Polycom-VVX",
      requested: [...PRL],
      interface: "lab0",
    });
    expect(messages[1]!.replyOptions?.slice(0, 5)).toEqual([53, 54, 51, 1, 3]);
    const commits = s.events.filter((e) => e.type === "dhcp.lease");
    expect(commits).toHaveLength(1);
    expect(commits[0]).toMatchObject({ action: "commit", mac: MAC, address: messages[1]!.address });
  });

  it("gives the same client the same address and another client a different one", async () => {
    const s = new Scenario(buildSite());
    const first = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    const again = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    const other = (await s.doDORA("00:04:f2:aa:bb:02")).ack.packet!.yiaddr;
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it("honours a free requested address (option 50) inside the pool", async () => {
    const s = new Scenario(buildSite());
    const { ack } = await s.doDORA(MAC, { options: [[50, u32(ip("198.51.100.150"))]] });
    expect(formatIpv4(ack.packet!.yiaddr)).toBe("198.51.100.150");
    const outside = await s.discover("00:04:f2:aa:bb:02", { options: [[50, u32(ip("198.51.100.20"))]] });
    expect(formatIpv4(outside.packet!.yiaddr)).not.toBe("198.51.100.20");
  });

  it("identifies clients by option 61 first", async () => {
    const s = new Scenario(buildSite());
    const id = Uint8Array.of(0xff, 1, 2, 3, 4);
    const a = (await s.doDORA(MAC, { options: [[61, id]] })).ack;
    expect(s.leases.byAddress(a.packet!.yiaddr)?.clientKey).toBe("id:ff01020304");
    // RFC 6842: the client identifier is echoed.
    expect([...a.packet!.options.get(61)!]).toEqual([...id]);
    // Same MAC, different client id: a different client.
    const b = (await s.doDORA(MAC, { options: [[61, Uint8Array.of(0xff, 9)]] })).ack;
    expect(b.packet!.yiaddr).not.toBe(a.packet!.yiaddr);
  });
});

describe("reservations", () => {
  it("by MAC, with host options overriding class, subnet and global", async () => {
    const site = buildSite({
      subnets: [labSubnet({ options: { 66: text("subnet-66"), 150: ipBytes("198.51.100.9") } })],
      classes: [dhcpClass("polycom", glob("Polycom*"), { 66: text("class-66"), 160: text("class-160") })],
      hosts: [host({ mac: "00:04:f2:00:00:01", address: "198.51.100.50", options: { 66: text("host-66") } })],
    });
    const s = new Scenario(site);
    const { ack } = await s.doDORA("00:04:f2:00:00:01", { options: [[60, text("Polycom-CX700")]] });
    expect(formatIpv4(ack.packet!.yiaddr)).toBe("198.51.100.50");
    const o = ack.packet!.options;
    expect(Buffer.from(o.get(66)!).toString()).toBe("host-66");
    expect(Buffer.from(o.get(160)!).toString()).toBe("class-160");
    expect([...o.get(150)!]).toEqual([198, 51, 100, 9]);
    expect([...o.get(6)!]).toEqual([...LAB_OPTIONS[6]!]);
  });

  it("by client-id, and the reserved address is never given to anyone else", async () => {
    const site = buildSite({
      subnets: [labSubnet({ pools: [["198.51.100.100", "198.51.100.101"]] })],
      hosts: [host({ clientId: "01aabbccddeeff", address: "198.51.100.100" })],
    });
    const s = new Scenario(site);
    const stranger = await s.doDORA("00:00:00:00:00:09", { options: [[50, u32(ip("198.51.100.100"))]] });
    expect(formatIpv4(stranger.ack.packet!.yiaddr)).toBe("198.51.100.101");
    const owner = await s.doDORA("aa:bb:cc:dd:ee:ff", {
      options: [[61, Uint8Array.of(1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff)]],
    });
    expect(formatIpv4(owner.ack.packet!.yiaddr)).toBe("198.51.100.100");
  });
});

describe("REQUEST states", () => {
  it("SELECTING another server: silence, and our offer is forgotten", async () => {
    const s = new Scenario(
      buildSite({ subnets: [labSubnet({ pools: [["198.51.100.100", "198.51.100.100"]] })] }),
    );
    const offer = await s.discover(MAC);
    const address = offer.packet!.yiaddr;
    const other = await s.send({
      type: DhcpMessageType.REQUEST,
      mac: MAC,
      options: [
        [54, u32(ip("198.51.100.3"))],
        [50, u32(address)],
      ],
    });
    expect(other.reply).toBeUndefined();
    expect(s.lastMessageEvent()).toMatchObject({ reply: null });
    // The only pool address is free again for someone else.
    const next = await s.discover("00:00:00:00:00:02");
    expect(next.packet!.yiaddr).toBe(address);
  });

  it("SELECTING an address the client was not offered and that is taken: NAK", async () => {
    const s = new Scenario(buildSite());
    const taken = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    const r = await s.send({
      type: DhcpMessageType.REQUEST,
      mac: "00:00:00:00:00:02",
      options: [
        [54, u32(SERVER)],
        [50, u32(taken)],
      ],
    });
    expect(typeOf(r.packet)).toBe(DhcpMessageType.NAK);
    expect(r.reply!.destination.broadcast).toBe(true);
  });

  it("INIT-REBOOT: ACK for its own address, NAK for the wrong network or another's address", async () => {
    const s = new Scenario(buildSite());
    const mine = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    const theirs = (await s.doDORA("00:00:00:00:00:02")).ack.packet!.yiaddr;
    const right = await s.doInitReboot(MAC, mine);
    expect(typeOf(right.packet)).toBe(DhcpMessageType.ACK);
    expect(right.packet!.yiaddr).toBe(mine);
    const wrongNet = await s.doInitReboot(MAC, ip("203.0.113.77"));
    expect(typeOf(wrongNet.packet)).toBe(DhcpMessageType.NAK);
    expect(wrongNet.reply!.destination).toEqual({ address: "255.255.255.255", port: 68, broadcast: true });
    expect(wrongNet.packet!.yiaddr).toBe(0);
    expect(optionOrder(wrongNet.reply!.bytes)).toEqual([53, 54]);
    const stolen = await s.doInitReboot(MAC, theirs);
    expect(typeOf(stolen.packet)).toBe(DhcpMessageType.NAK);
  });

  it("INIT-REBOOT from a client we know nothing about: silence", async () => {
    const s = new Scenario(buildSite());
    const r = await s.doInitReboot(MAC, ip("198.51.100.120"));
    expect(r.reply).toBeUndefined();
    expect(s.lastMessageEvent()).toMatchObject({
      reply: null,
      replyReason: "init-reboot: no record of this client",
    });
  });

  it("INIT-REBOOT on the wrong network when not authoritative: silence", async () => {
    const s = new Scenario(buildSite({ authoritative: false }));
    const r = await s.doInitReboot(MAC, ip("203.0.113.77"));
    expect(r.reply).toBeUndefined();
  });

  it("RENEWING extends the lease and unicasts to ciaddr; REBINDING likewise", async () => {
    const s = new Scenario(buildSite());
    const address = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    s.advance(1800);
    const renew = await s.doRenew(MAC, address);
    expect(typeOf(renew.packet)).toBe(DhcpMessageType.ACK);
    expect(renew.reply!.destination).toEqual({ address: formatIpv4(address), port: 68, broadcast: false });
    expect(renew.packet!.ciaddr).toBe(address);
    expect(s.leases.byAddress(address)!.expiresAt).toBe(s.now + 3600_000);
    s.advance(3000);
    const rebind = await s.doRenew(MAC, address, { flags: 0x8000 });
    expect(typeOf(rebind.packet)).toBe(DhcpMessageType.ACK);
    expect(s.leases.byAddress(address)!.expiresAt).toBe(s.now + 3600_000);
  });

  it("RENEWING someone else's address: NAK; an address we never leased: silence", async () => {
    const s = new Scenario(buildSite());
    const theirs = (await s.doDORA("00:00:00:00:00:02")).ack.packet!.yiaddr;
    const nak = await s.doRenew(MAC, theirs);
    expect(typeOf(nak.packet)).toBe(DhcpMessageType.NAK);
    expect(nak.reply!.destination.broadcast).toBe(true);
    const unknown = await s.doRenew(MAC, ip("198.51.100.180"));
    expect(unknown.reply).toBeUndefined();
  });
});

describe("RELEASE, DECLINE, INFORM, expiry", () => {
  it("RELEASE frees the lease; no reply", async () => {
    const s = new Scenario(buildSite());
    const address = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    const r = await s.doRelease(MAC, address, SERVER);
    expect(r.reply).toBeUndefined();
    expect(s.leases.byAddress(address)?.state).toBe("released");
    expect(s.events.filter((e) => e.type === "dhcp.lease").map((e) => e.action)).toEqual([
      "commit",
      "release",
    ]);
    // A stranger cannot release someone else's lease.
    const again = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    await s.doRelease("00:00:00:00:00:02", again, SERVER);
    expect(s.leases.byAddress(again)?.state).toBe("active");
  });

  it("DECLINE quarantines the address for the probation time", async () => {
    const s = new Scenario(
      buildSite({
        subnets: [labSubnet({ pools: [["198.51.100.100", "198.51.100.101"]] })],
        declineProbationSeconds: 600,
      }),
    );
    const address = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    const r = await s.doDecline(MAC, address, SERVER);
    expect(r.reply).toBeUndefined();
    expect(s.leases.byAddress(address)).toMatchObject({ state: "declined", expiresAt: s.now + 600_000 });
    // The client comes back and gets the other address; a third client finds the pool exhausted.
    const next = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    expect(next).not.toBe(address);
    expect((await s.discover("00:00:00:00:00:03")).reply).toBeUndefined();
    s.advance(601);
    const reclaimed = s.core.reclaim(s.now);
    for (const lease of reclaimed.writes) await s.leases.put(lease);
    const third = await s.discover("00:00:00:00:00:03");
    expect(third.packet!.yiaddr).toBe(address);
  });

  it("INFORM answers options without a lease, unicast to ciaddr", async () => {
    const s = new Scenario(buildSite());
    const r = await s.doInform(MAC, ip("198.51.100.30"), { options: [[55, Uint8Array.of(6, 15, 51)]] });
    expect(typeOf(r.packet)).toBe(DhcpMessageType.ACK);
    expect(r.packet!.yiaddr).toBe(0);
    expect(r.packet!.ciaddr).toBe(ip("198.51.100.30"));
    expect(r.packet!.options.has(51)).toBe(false);
    expect(r.packet!.options.has(58)).toBe(false);
    expect(optionOrder(r.reply!.bytes).slice(0, 5)).toEqual([53, 54, 1, 3, 6]);
    expect(r.reply!.destination).toEqual({ address: "198.51.100.30", port: 68, broadcast: false });
    expect(s.leases.size).toBe(0);
  });

  it("leases expire, are reclaimed with an event, and their address goes to another client", async () => {
    const s = new Scenario(
      buildSite({ subnets: [labSubnet({ pools: [["198.51.100.100", "198.51.100.100"]] })] }),
    );
    const address = (await s.doDORA(MAC)).ack.packet!.yiaddr;
    expect((await s.discover("00:00:00:00:00:02")).reply).toBeUndefined();
    expect(s.events.some((e) => e.type === "dhcp.pool-exhausted" && e.subnet === "198.51.100.0/24")).toBe(
      true,
    );
    s.advance(3601);
    const { writes, events } = s.core.reclaim(s.now);
    expect(writes).toEqual([expect.objectContaining({ address, state: "expired" })]);
    expect(events).toEqual([expect.objectContaining({ type: "dhcp.lease", action: "expire" })]);
    for (const lease of writes) await s.leases.put(lease);
    const other = await s.doDORA("00:00:00:00:00:02");
    expect(other.ack.packet!.yiaddr).toBe(address);
  });

  it("holds an offer for offerHold seconds only", async () => {
    const s = new Scenario(
      buildSite({
        subnets: [labSubnet({ pools: [["198.51.100.100", "198.51.100.100"]] })],
        offerHoldSeconds: 5,
      }),
    );
    expect((await s.discover(MAC)).packet).toBeDefined();
    expect((await s.discover("00:00:00:00:00:02")).reply).toBeUndefined();
    s.advance(6);
    expect(formatIpv4((await s.discover("00:00:00:00:00:02")).packet!.yiaddr)).toBe("198.51.100.100");
  });
});

describe("relays, classes, sizes, interfaces", () => {
  const relayedSite = () =>
    buildSite({
      subnets: [
        labSubnet(),
        subnet(
          {
            cidr: "203.0.113.0/24",
            serverId: "198.51.100.2",
            router: "203.0.113.1",
            pools: [["203.0.113.10", "203.0.113.20"]],
          },
          1,
        ),
      ],
    });

  it("relayed: subnet chosen by giaddr, reply unicast to the relay on port 67, option 82 echoed last", async () => {
    const s = new Scenario(relayedSite());
    const giaddr = ip("203.0.113.1");
    const agent = Uint8Array.of(1, 4, 0x65, 0x74, 0x68, 0x31, 2, 2, 0xab, 0xcd);
    const { offer, ack } = await s.doDORA(MAC, {
      giaddr,
      options: [
        [82, agent],
        [55, PRL],
      ],
    });
    expect(formatIpv4(offer.packet!.yiaddr)).toMatch(/^203\.0\.113\./);
    expect(offer.reply!.destination).toEqual({ address: "203.0.113.1", port: 67, broadcast: false });
    expect(ack.packet!.giaddr).toBe(giaddr);
    const order = optionOrder(ack.reply!.bytes);
    expect(order.at(-1)).toBe(82);
    expect([...ack.packet!.options.get(82)!]).toEqual([...agent]);
    expect([...ack.packet!.options.get(3)!]).toEqual([203, 0, 113, 1]);
  });

  it("relayed NAK goes to the relay with the broadcast bit; option 82 is not echoed when not relayed", async () => {
    const s = new Scenario(relayedSite());
    const nak = await s.doInitReboot(MAC, ip("198.51.100.120"), {
      giaddr: ip("203.0.113.1"),
      options: [[82, Uint8Array.of(1, 1, 7)]],
    });
    expect(typeOf(nak.packet)).toBe(DhcpMessageType.NAK);
    expect(nak.reply!.destination).toEqual({ address: "203.0.113.1", port: 67, broadcast: false });
    expect(nak.packet!.flags & 0x8000).toBe(0x8000);
    const local = await s.discover(MAC, { options: [[82, Uint8Array.of(1, 1, 7)]] });
    expect(local.packet!.options.has(82)).toBe(false);
  });

  it("relay from an unknown network: silence", async () => {
    const s = new Scenario(buildSite());
    expect((await s.discover(MAC, { giaddr: ip("203.0.113.1") })).reply).toBeUndefined();
  });

  it("never answers on an interface the site does not name", async () => {
    const s = new Scenario(buildSite());
    const r = await s.send({ type: DhcpMessageType.DISCOVER, mac: MAC }, "eth0");
    expect(r.reply).toBeUndefined();
    expect(s.lastMessageEvent()).toMatchObject({ reply: null, replyReason: "interface eth0 is not served" });
  });

  it("Polycom's RFC 3925 binary vendor class selects the class options", async () => {
    const site = buildSite({
      classes: [
        dhcpClass(
          "polycom",
          { kind: "enterprise", enterprise: 13885 },
          { 160: text("http://prov.contoso.com/polycom/") },
        ),
      ],
    });
    const s = new Scenario(site);
    const items = [text("Polycom"), text("CX700"), text("5.0.0")];
    const body = items.flatMap((i) => [i.length, ...i]);
    const vendor = Uint8Array.from([0, 0, 0x36, 0x3d, body.length, ...body]);
    const polycom = (await s.doDORA(MAC, { options: [[60, vendor]] })).ack;
    expect(Buffer.from(polycom.packet!.options.get(160)!).toString()).toBe(
      "http://prov.contoso.com/polycom/",
    );
    const other = (await s.doDORA("00:00:00:00:00:02", { options: [[60, text("MSFT 5.0")]] })).ack;
    expect(other.packet!.options.has(160)).toBe(false);
  });

  it("respects the maximum message size (57): overload into file/sname, drop what cannot fit", async () => {
    const many = Array.from({ length: 40 }, (_, i) => `zone${i}.example.contoso.com`);
    const site = buildSite({ options: { ...LAB_OPTIONS, 119: domainList(...many) } });
    const s = new Scenario(site);
    const expected = domainList(...many);
    expect(expected.length).toBeGreaterThan(600);
    const big = (
      await s.doDORA(MAC, {
        options: [
          [57, Uint8Array.of(0x05, 0xdc)],
          [55, PRL],
        ],
      })
    ).ack;
    expect(big.reply!.bytes.length).toBeLessThanOrEqual(1500 - 28);
    expect([...big.packet!.options.get(119)!]).toEqual([...expected]);
    expect(big.packet!.overload).toBe(0);
    // Default 576: 119 cannot fit even with overload; everything else still arrives.
    const small = (await s.doDORA("00:00:00:00:00:02", { options: [[55, PRL]] })).ack;
    expect(small.reply!.bytes.length).toBeLessThanOrEqual(576 - 28);
    expect(small.packet!.options.has(119)).toBe(false);
    for (const code of [53, 54, 51, 1, 3, 6, 15, 66, 42, 150])
      expect(small.packet!.options.has(code)).toBe(true);
    const dropEvent = s.lastMessageEvent() as DhcpMessageEvent;
    expect(dropEvent.replyOptions).not.toContain(119);
  });

  it("overloads into file and sname when the options field is full", async () => {
    const site = buildSite({
      options: { ...LAB_OPTIONS, 43: new Uint8Array(200).fill(7), 125: new Uint8Array(60).fill(9) },
    });
    const s = new Scenario(site);
    const ack = (await s.doDORA(MAC, { options: [[55, PRL]] })).ack;
    expect(ack.packet!.overload).toBeGreaterThan(0);
    expect(ack.reply!.bytes.length).toBeLessThanOrEqual(548);
    expect([...ack.packet!.options.get(43)!]).toEqual(new Array(200).fill(7));
    expect([...ack.packet!.options.get(125)!]).toEqual(new Array(60).fill(9));
  });

  it("reads options a client overloaded into the file field", async () => {
    const s = new Scenario(buildSite());
    const bytes = (await import("./client-messages.js")).buildClientMessage({
      type: DhcpMessageType.DISCOVER,
      mac: MAC,
      options: [[52, Uint8Array.of(1)]],
    });
    bytes.set([61, 3, 0xff, 1, 2, 255], 108);
    const outcome = s.core.handle(bytes, { interface: "lab0" }, s.now);
    expect(outcome.reply).toBeDefined();
    expect(outcome.events[0]).toMatchObject({ clientId: "ff0102" });
  });

  it("ignores BOOTP replies, plain BOOTP and garbage without a reply", async () => {
    const s = new Scenario(buildSite());
    expect(s.core.handle(new Uint8Array(10), { interface: "lab0" }, s.now).events).toEqual([]);
    const bytes = (await import("./client-messages.js")).buildClientMessage({
      type: DhcpMessageType.DISCOVER,
      mac: MAC,
    });
    bytes[0] = 2;
    expect(s.core.handle(bytes, { interface: "lab0" }, s.now).reply).toBeUndefined();
  });
});

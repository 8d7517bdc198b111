/**
 * Drives the DHCP decision core like a client would (Kea's doDORA / doRenew style), with a
 * memory lease store and a fake clock. Lease writes are awaited before the reply counts as sent,
 * exactly as the service does.
 */
import type { Site } from "../../src/config/site.js";
import { MemoryLeaseStore } from "../../src/dhcp/leases/memory-lease-store.js";
import type { DhcpPacket } from "../../src/dhcp/packet.js";
import { DhcpMessageType } from "../../src/dhcp/packet.js";
import { type CoreOutcome, type CoreReply, DhcpServerCore } from "../../src/dhcp/server-core.js";
import type { SitebootEvent } from "../../src/observe/events.js";
import { buildClientMessage, type ClientMessage, decodeReply, u32 } from "./client-messages.js";

export interface Exchange {
  outcome: CoreOutcome;
  reply?: CoreReply;
  packet?: DhcpPacket;
}

export class Scenario {
  readonly leases = new MemoryLeaseStore();
  readonly core: DhcpServerCore;
  readonly events: SitebootEvent[] = [];
  now = Date.UTC(2030, 0, 1);

  constructor(site: Site) {
    this.core = new DhcpServerCore(site, this.leases);
  }

  async send(message: ClientMessage, iface = "lab0"): Promise<Exchange> {
    const outcome = this.core.handle(buildClientMessage(message), { interface: iface }, this.now);
    for (const lease of outcome.leaseWrites) await this.leases.put(lease);
    this.events.push(...outcome.events);
    return {
      outcome,
      ...(outcome.reply ? { reply: outcome.reply, packet: decodeReply(outcome.reply.bytes) } : {}),
    };
  }

  advance(seconds: number): void {
    this.now += seconds * 1000;
  }

  async discover(mac: string, extra: Partial<ClientMessage> = {}): Promise<Exchange> {
    return this.send({ type: DhcpMessageType.DISCOVER, mac, ...extra });
  }

  /** DISCOVER, OFFER, REQUEST (selecting), ACK; returns the ACK exchange. */
  async doDORA(mac: string, extra: Partial<ClientMessage> = {}): Promise<{ offer: Exchange; ack: Exchange }> {
    const offer = await this.discover(mac, extra);
    if (!offer.packet) throw new Error(`no OFFER for ${mac}: ${JSON.stringify(offer.outcome.events[0])}`);
    const serverId = offer.packet.options.get(54)!;
    const ack = await this.send({
      type: DhcpMessageType.REQUEST,
      mac,
      ...extra,
      options: [
        [54, serverId],
        [50, u32(offer.packet.yiaddr)],
        ...(extra.options ?? []).filter(([c]) => c !== 50),
      ],
    });
    return { offer, ack };
  }

  async doRenew(mac: string, address: number, extra: Partial<ClientMessage> = {}): Promise<Exchange> {
    return this.send({ type: DhcpMessageType.REQUEST, mac, ciaddr: address, ...extra });
  }

  async doRelease(mac: string, address: number, serverId: number, extra: Partial<ClientMessage> = {}) {
    return this.send({
      type: DhcpMessageType.RELEASE,
      mac,
      ciaddr: address,
      ...extra,
      options: [[54, u32(serverId)], ...(extra.options ?? [])],
    });
  }

  async doDecline(mac: string, address: number, serverId: number, extra: Partial<ClientMessage> = {}) {
    return this.send({
      type: DhcpMessageType.DECLINE,
      mac,
      ...extra,
      options: [[54, u32(serverId)], [50, u32(address)], ...(extra.options ?? [])],
    });
  }

  async doInform(mac: string, ciaddr: number, extra: Partial<ClientMessage> = {}) {
    return this.send({ type: DhcpMessageType.INFORM, mac, ciaddr, ...extra });
  }

  async doInitReboot(mac: string, address: number, extra: Partial<ClientMessage> = {}) {
    return this.send({
      type: DhcpMessageType.REQUEST,
      mac,
      ...extra,
      options: [[50, u32(address)], ...(extra.options ?? [])],
    });
  }

  lastMessageEvent() {
    return [...this.events].reverse().find((e) => e.type === "dhcp.message");
  }
}

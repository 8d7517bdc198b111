/**
 * The DHCPv4 decision core (RFC 2131 §4.3): request bytes + where they arrived + the Site + the
 * lease store's current state + now → the reply bytes, where to send them, and the lease writes
 * that must be durable before the reply leaves. No sockets, no timers, no I/O: the service awaits
 * the writes, then sends. Offers are held here, in memory, for offerHoldSeconds.
 *
 * One request: read it (request-context.ts) → decide by message type and client state (here) →
 * lay out the reply and choose its destination (reply-packet.ts) → one dhcp.message event.
 */

import { cidrContains, formatIpv4 } from "../config/ipv4.js";
import type { DhcpSubnet, Site } from "../config/site.js";
import type { LeaseNames } from "../dns/lease-names.js";
import type { SitebootEvent } from "../observe/events.js";
import { inPools, PoolAllocator } from "./allocator.js";
import { clientFqdnReply } from "./client-fqdn.js";
import { isOwnKey } from "./client-identity.js";
import { leaseEvent, messageEvent } from "./dhcp-events.js";
import { HeldOffers } from "./held-offers.js";
import { expiredLeases } from "./lease-expiry.js";
import type { Lease } from "./leases/lease.js";
import type { LeaseStore } from "./leases/lease-store.js";
import { BOOTREQUEST, DhcpMessageType, decodePacket, messageTypeName, messageTypeOf } from "./packet.js";
import {
  buildReply,
  type CorePorts,
  type CoreReply,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  type ReplyPlan,
} from "./reply-packet.js";
import {
  type Arrival,
  type RequestContext,
  readRequest,
  requestedAddressOf,
  serverIdOf,
} from "./request-context.js";
import { DhcpSiteIndex } from "./site-index.js";

export {
  type CorePorts,
  type CoreReply,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  type ReplyDestination,
} from "./reply-packet.js";
export type { Arrival } from "./request-context.js";

export interface CoreOutcome {
  readonly reply?: CoreReply;
  /** Durable before the reply is sent (the store already shows them to reads). */
  readonly leaseWrites: readonly Lease[];
  /** The dhcp.message event and any dhcp.lease / dhcp.pool-exhausted events, in order. */
  readonly events: readonly SitebootEvent[];
}

/** What the core asks of the lease names (src/dns/lease-names.ts) to answer option 81. */
export type LeaseNameDecider = Pick<LeaseNames, "decide" | "enabled">;

/** Outcome of one decision, before the packet is laid out. */
interface Decision {
  readonly reply?: ReplyPlan;
  readonly reason: string;
  readonly writes?: readonly Lease[];
  readonly extraEvents?: readonly SitebootEvent[];
}

export class DhcpServerCore {
  #site: Site;
  #index: DhcpSiteIndex;
  readonly #leases: LeaseStore;
  #ports: CorePorts;
  readonly #allocator = new PoolAllocator();
  readonly #offers = new HeldOffers();
  readonly #names: LeaseNameDecider | undefined;

  constructor(site: Site, leases: LeaseStore, ports: Partial<CorePorts> = {}, names?: LeaseNameDecider) {
    this.#site = site;
    this.#names = names;
    this.#index = new DhcpSiteIndex(site.dhcp);
    this.#leases = leases;
    this.#ports = {
      serverPort: ports.serverPort ?? DHCP_SERVER_PORT,
      clientPort: ports.clientPort ?? DHCP_CLIENT_PORT,
    };
  }

  get site(): Site {
    return this.#site;
  }

  setSite(site: Site, ports?: Partial<CorePorts>): void {
    this.#site = site;
    this.#index = new DhcpSiteIndex(site.dhcp);
    if (ports) this.#ports = { ...this.#ports, ...ports };
  }

  /** Forgets offers whose hold time has passed. */
  sweepOffers(now: number): void {
    this.#offers.sweep(now);
  }

  get heldOffers(): number {
    return this.#offers.size;
  }

  /** Handles one datagram. Never throws: anything unexpected becomes silence with a reason. */
  handle(bytes: Uint8Array, arrival: Arrival, now: number): CoreOutcome {
    const decoded = decodePacket(bytes);
    if (!decoded.ok) return { leaseWrites: [], events: [] };
    const packet = decoded.packet;
    const type = messageTypeOf(packet);
    const name = type === undefined ? undefined : messageTypeName(type);
    if (packet.op !== BOOTREQUEST || type === undefined || name === undefined) {
      return { leaseWrites: [], events: [] };
    }
    const ctx = readRequest(packet, type, arrival, now, this.#index);
    let decision: Decision;
    if (!this.#site.dhcp.enabled) decision = { reason: "DHCP is disabled" };
    else if (!this.#site.listen.interfaces.includes(arrival.interface))
      decision = { reason: `interface ${arrival.interface} is not served` };
    else if (!ctx.subnet) decision = { reason: "no subnet for this interface or relay" };
    else decision = this.#decide(ctx, ctx.subnet);

    const writes = decision.writes ?? [];
    let reply: CoreReply | undefined;
    let included: readonly number[] | undefined;
    if (decision.reply && ctx.subnet) {
      const configured = this.#index.configured(ctx.subnet, ctx.cls, ctx.host);
      const built = buildReply(packet, ctx.subnet, decision.reply, configured, this.#ports);
      reply = built.reply;
      included = built.included;
    }
    const event = messageEvent(
      ctx,
      name,
      reply?.message ?? null,
      decision.reason,
      decision.reply?.yiaddr ?? 0,
      included,
    );
    const extra = decision.extraEvents;
    const events: SitebootEvent[] = extra === undefined ? [event] : [event, ...extra];
    return reply ? { reply, leaseWrites: writes, events } : { leaseWrites: writes, events };
  }

  #decide(ctx: RequestContext, subnet: DhcpSubnet): Decision {
    switch (ctx.type) {
      case DhcpMessageType.DISCOVER:
        return this.#discover(ctx, subnet);
      case DhcpMessageType.REQUEST:
        return this.#request(ctx, subnet);
      case DhcpMessageType.DECLINE:
        return this.#decline(ctx, subnet);
      case DhcpMessageType.RELEASE:
        return this.#release(ctx);
      case DhcpMessageType.INFORM:
        return {
          reply: { type: DhcpMessageType.ACK, yiaddr: 0, ciaddr: ctx.packet.ciaddr },
          reason: "inform",
        };
      default:
        return { reason: "not a client message" };
    }
  }

  // ---- DISCOVER ------------------------------------------------------------------------------

  #discover(ctx: RequestContext, subnet: DhcpSubnet): Decision {
    // In order of preference; the first that is usable is offered.
    const reserved = this.#reservedFor(ctx, subnet);
    if (reserved !== undefined && this.#availability(reserved, ctx) !== "busy") {
      return this.#offer(ctx, subnet, reserved, "reservation");
    }
    const held = this.#offers.of(ctx.key);
    if (this.#offerable(held, subnet, ctx)) return this.#offer(ctx, subnet, held, "offer held");
    const own = this.#leases.byClient(ctx.key)?.address;
    if (this.#offerable(own, subnet, ctx)) return this.#offer(ctx, subnet, own, "client's lease");
    const requested = requestedAddressOf(ctx.packet);
    if (this.#offerable(requested, subnet, ctx)) {
      return this.#offer(ctx, subnet, requested, "requested");
    }
    const address = this.#allocator.pick(subnet, (a) => this.#availability(a, ctx));
    if (address === undefined) {
      return {
        reason: "pool exhausted",
        extraEvents: [
          { type: "dhcp.pool-exhausted", at: ctx.now, subnet: subnet.cidr.text, mac: ctx.client.mac },
        ],
      };
    }
    return this.#offer(ctx, subnet, address, "pool");
  }

  /** A pool address of this subnet that this client may be offered. */
  #offerable(address: number | undefined, subnet: DhcpSubnet, ctx: RequestContext): address is number {
    return (
      address !== undefined &&
      cidrContains(subnet.cidr, address) &&
      inPools(subnet, address) &&
      this.#availability(address, ctx) !== "busy"
    );
  }

  #offer(ctx: RequestContext, subnet: DhcpSubnet, address: number, why: string): Decision {
    this.#offers.hold(address, ctx.key, ctx.now + this.#site.dhcp.offerHoldSeconds * 1000);
    return {
      reply: {
        type: DhcpMessageType.OFFER,
        yiaddr: address,
        leaseSeconds: subnet.leaseTimeSeconds,
        ...this.#clientFqdn(ctx),
      },
      reason: why,
    };
  }

  /** Option 81 of an OFFER or ACK: the name the lease will hold, when the client sent option 81. */
  #clientFqdn(ctx: RequestContext): { clientFqdn?: Uint8Array } {
    const names = this.#names;
    if (names === undefined || !names.enabled) return {};
    const fqdn = ctx.clientFqdn;
    if (fqdn === undefined) return {};
    const decision = names.decide(ctx.key, ctx.hostname, ctx.now);
    return { clientFqdn: clientFqdnReply(fqdn, decision?.ok ? decision.name : undefined) };
  }

  /** The host reservation's address for this client when it lies in this subnet. */
  #reservedFor(ctx: RequestContext, subnet: DhcpSubnet): number | undefined {
    const address = ctx.host?.address;
    return address !== undefined && cidrContains(subnet.cidr, address) ? address : undefined;
  }

  /**
   * Whether `address` may go to this client: not reserved for another host, not leased to another
   * client (active and unexpired), not quarantined, not offered to another client.
   */
  #availability(address: number, ctx: RequestContext): "never-used" | "reusable" | "busy" {
    const reservedHost = this.#index.hostAt(address);
    if (reservedHost !== undefined && reservedHost !== ctx.host) return "busy";
    const offer = this.#offers.at(address);
    if (offer && offer.expiresAt > ctx.now && !this.#owns(ctx, offer.clientKey)) return "busy";
    const lease = this.#leases.byAddress(address);
    if (!lease) return "never-used";
    if (lease.state === "declined" && lease.expiresAt > ctx.now) return "busy";
    if (this.#owns(ctx, lease.clientKey)) return "reusable";
    if (lease.state === "active" && lease.expiresAt > ctx.now) return "busy";
    return "reusable";
  }

  /** Whether a lease or offer stored under `key` is this client's. */
  #owns(ctx: RequestContext, key: string): boolean {
    return isOwnKey(key, ctx.client, ctx.host);
  }

  // ---- REQUEST -------------------------------------------------------------------------------

  #request(ctx: RequestContext, subnet: DhcpSubnet): Decision {
    const { packet } = ctx;
    const serverId = serverIdOf(packet);
    const requested = requestedAddressOf(packet);
    if (serverId !== undefined) {
      // SELECTING: the client answers one OFFER; when it chose another server, forget ours.
      if (serverId !== subnet.serverId) {
        this.#offers.dropOf(ctx.key);
        return {
          reason: `selecting another server (${serverId === null ? "bad id" : formatIpv4(serverId)})`,
        };
      }
      if (requested === undefined) return { reason: "selecting without a requested address (option 50)" };
      if (!cidrContains(subnet.cidr, requested)) return this.#nak("requested address outside the subnet");
      if (!this.#assignable(ctx, subnet, requested)) return this.#nak("requested address not available");
      return this.#ack(ctx, subnet, requested, "selecting");
    }
    if (requested !== undefined) {
      // INIT-REBOOT: the client checks an address it remembers.
      if (!cidrContains(subnet.cidr, requested)) {
        return this.#site.dhcp.authoritative
          ? this.#nak("init-reboot: address on the wrong network")
          : { reason: "init-reboot: wrong network, not authoritative" };
      }
      if (this.#availability(requested, ctx) === "busy") {
        return this.#nak("init-reboot: address belongs to another client");
      }
      const reserved = this.#reservedFor(ctx, subnet);
      if (reserved !== undefined && reserved !== requested)
        return this.#nak("init-reboot: client has a reservation");
      const own = this.#leases.byClient(ctx.key);
      if (reserved === requested) return this.#ack(ctx, subnet, requested, "init-reboot: reservation");
      if (!own) return { reason: "init-reboot: no record of this client" };
      if (own.address === requested && own.state !== "declined") {
        return this.#ack(ctx, subnet, requested, "init-reboot: known lease");
      }
      if (inPools(subnet, requested) && own.state !== "active") {
        return this.#ack(ctx, subnet, requested, "init-reboot: free address");
      }
      return this.#nak("init-reboot: not this client's address");
    }
    if (packet.ciaddr !== 0) {
      // RENEWING (unicast) or REBINDING (broadcast): extend the lease the client holds.
      const address = packet.ciaddr;
      if (!cidrContains(subnet.cidr, address)) {
        return this.#site.dhcp.authoritative
          ? this.#nak("renewing: address on the wrong network")
          : { reason: "renewing: wrong network, not authoritative" };
      }
      const lease = this.#leases.byAddress(address);
      const reserved = this.#reservedFor(ctx, subnet);
      if (reserved === address || (lease && this.#owns(ctx, lease.clientKey) && lease.state !== "declined")) {
        if (this.#availability(address, ctx) === "busy") {
          return this.#nak("renewing: address taken meanwhile");
        }
        return this.#ack(ctx, subnet, address, "renewing");
      }
      if (lease && this.#availability(address, ctx) === "busy") {
        return this.#nak("renewing: address belongs to another client");
      }
      return { reason: "renewing: no record of this lease" };
    }
    return { reason: "request without server id, requested address or ciaddr" };
  }

  /** May this client be given `address` (SELECTING)? */
  #assignable(ctx: RequestContext, subnet: DhcpSubnet, address: number): boolean {
    if (this.#availability(address, ctx) === "busy") return false;
    const reserved = this.#reservedFor(ctx, subnet);
    if (reserved !== undefined) return reserved === address;
    if (this.#offers.of(ctx.key) === address) return true;
    return inPools(subnet, address);
  }

  #nak(reason: string): Decision {
    return { reply: { type: DhcpMessageType.NAK, yiaddr: 0 }, reason };
  }

  /** Commits the lease (one per client: an earlier active lease elsewhere is released) and ACKs. */
  #ack(ctx: RequestContext, subnet: DhcpSubnet, address: number, reason: string): Decision {
    this.#offers.dropOf(ctx.key);
    const leaseSeconds = subnet.leaseTimeSeconds;
    const lease: Lease = {
      address,
      clientKey: ctx.key,
      mac: ctx.client.mac,
      ...(ctx.hostname !== undefined ? { hostname: ctx.hostname } : {}),
      ...(ctx.vendorClass !== undefined ? { vendorClass: ctx.vendorClass } : {}),
      subnet: subnet.cidr.text,
      state: "active",
      start: ctx.now,
      expiresAt: ctx.now + leaseSeconds * 1000,
    };
    const previous = this.#leases.byClient(ctx.key);
    const writes: Lease[] = [];
    if (previous && previous.address !== address && previous.state === "active") {
      writes.push({ ...previous, state: "released", expiresAt: ctx.now });
    }
    writes.push(lease);
    return {
      reply: { type: DhcpMessageType.ACK, yiaddr: address, leaseSeconds, ...this.#clientFqdn(ctx) },
      reason,
      writes,
      extraEvents: [leaseEvent("commit", ctx.now, ctx.client.mac, address, lease.expiresAt)],
    };
  }

  // ---- DECLINE / RELEASE ---------------------------------------------------------------------

  #decline(ctx: RequestContext, subnet: DhcpSubnet): Decision {
    const serverId = serverIdOf(ctx.packet);
    if (serverId !== undefined && serverId !== subnet.serverId)
      return { reason: "decline for another server" };
    const address = requestedAddressOf(ctx.packet);
    if (address === undefined) return { reason: "decline without an address (option 50)" };
    const lease = this.#leases.byAddress(address);
    const offered = this.#offers.at(address);
    if (!(lease && this.#owns(ctx, lease.clientKey)) && !(offered && this.#owns(ctx, offered.clientKey))) {
      return { reason: "decline for an address this client does not hold" };
    }
    this.#offers.drop(address);
    const until = ctx.now + this.#site.dhcp.declineProbationSeconds * 1000;
    return {
      reason: "declined: address quarantined",
      writes: [
        {
          address,
          clientKey: ctx.key,
          mac: ctx.client.mac,
          subnet: subnet.cidr.text,
          state: "declined",
          start: ctx.now,
          expiresAt: until,
        },
      ],
      extraEvents: [leaseEvent("decline", ctx.now, ctx.client.mac, address, until)],
    };
  }

  #release(ctx: RequestContext): Decision {
    const address = ctx.packet.ciaddr;
    const lease = address === 0 ? undefined : this.#leases.byAddress(address);
    if (!lease || !this.#owns(ctx, lease.clientKey) || lease.state !== "active") {
      return { reason: "release for a lease this client does not hold" };
    }
    return {
      reason: "released",
      writes: [{ ...lease, state: "released", expiresAt: ctx.now }],
      extraEvents: [leaseEvent("release", ctx.now, ctx.client.mac, address)],
    };
  }

  // ---- expiry --------------------------------------------------------------------------------

  /**
   * Active leases past their end become "expired", quarantined addresses past probation become
   * "expired" too; returns the writes and their events. The service runs this periodically.
   */
  reclaim(now: number, limit = 1000): { writes: Lease[]; events: SitebootEvent[] } {
    this.sweepOffers(now);
    return expiredLeases(this.#leases, now, limit);
  }
}

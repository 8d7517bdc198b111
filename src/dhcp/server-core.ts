/**
 * The DHCPv4 decision core (RFC 2131 §4.3): request bytes + where they arrived + the Site + the
 * lease store's current state + now → the reply bytes, where to send them, and the lease writes
 * that must be durable before the reply leaves. No sockets, no timers, no I/O: the service awaits
 * the writes, then sends. Offers are held here, in memory, for offerHoldSeconds.
 */

import { cidrContains, formatIpv4, ipv4Text } from "../config/ipv4.js";
import type { DhcpClass, DhcpHost, DhcpSubnet, OptionSet, Site } from "../config/site.js";
import type { DhcpMessageEvent, DhcpMessageName, SitebootEvent } from "../observe/events.js";
import { inPools, PoolAllocator } from "./allocator.js";
import { type ClientIdentity, clientIdentity, hex, isOwnKey, leaseKeyOf } from "./client-identity.js";
import { sharedCodeList } from "./code-lists.js";
import type { Lease } from "./leases/lease.js";
import type { LeaseStore } from "./leases/lease-store.js";
import { matchVendorClass } from "./options/index.js";
import { assembleOptions } from "./options-field.js";
import {
  BOOTREPLY,
  BOOTREQUEST,
  BROADCAST_FLAG,
  DhcpMessageType,
  type DhcpPacket,
  decodePacket,
  encodeHeader,
  FILE_OFFSET,
  messageTypeName,
  messageTypeOf,
  OPTIONS_OFFSET,
  SNAME_OFFSET,
} from "./packet.js";
import { effectiveOptions, replyOptions } from "./reply-options.js";

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

const LIMITED_BROADCAST = "255.255.255.255";
const NOTHING_REQUESTED = new Uint8Array(0);
/** RFC 2131 §2: every client accepts 576-byte IP datagrams; 20 + 8 bytes of IP/UDP headers. */
const MIN_MESSAGE_SIZE = 576;
const MAX_MESSAGE_SIZE = 1500;
const IP_UDP_HEADERS = 28;
/** RFC 1542 §3.4: relays and old clients expect at least a 300-byte BOOTP message. */
const BOOTP_MIN_LENGTH = 300;

/** Where a request came from. */
export interface Arrival {
  /** The interface the request came in on (the socket's device). */
  readonly interface: string;
}

export interface ReplyDestination {
  readonly address: string;
  readonly port: number;
  /** Sent to 255.255.255.255 out of the arrival interface. */
  readonly broadcast: boolean;
}

export interface CoreReply {
  readonly bytes: Uint8Array;
  readonly destination: ReplyDestination;
  readonly message: DhcpMessageName;
}

export interface CoreOutcome {
  readonly reply?: CoreReply;
  /** Durable before the reply is sent (the store already shows them to reads). */
  readonly leaseWrites: readonly Lease[];
  /** The dhcp.message event and any dhcp.lease / dhcp.pool-exhausted events, in order. */
  readonly events: readonly SitebootEvent[];
}

interface HeldOffer {
  readonly clientKey: string;
  readonly expiresAt: number;
}

/** Everything known about a request before deciding; one fixed shape (absent fields undefined). */
interface Context {
  readonly packet: DhcpPacket;
  readonly type: number;
  readonly client: ClientIdentity;
  /** What this client's leases and offers are stored under (its reservation's key when it has one). */
  readonly key: string;
  readonly arrival: Arrival;
  readonly now: number;
  readonly subnet: DhcpSubnet | undefined;
  readonly host: DhcpHost | undefined;
  readonly cls: DhcpClass | undefined;
  readonly vendorClass: string | undefined;
  readonly requestedAddress: number | undefined;
}

/** Outcome of one decision, before the packet is laid out. */
interface Decision {
  readonly reply?: {
    readonly type: number;
    readonly yiaddr: number;
    readonly leaseSeconds?: number;
    /** Send to ciaddr even without a lease (INFORM). */
    readonly ciaddr?: number;
  };
  readonly reason: string;
  readonly writes?: readonly Lease[];
  readonly extraEvents?: readonly SitebootEvent[];
}

export interface CorePorts {
  readonly serverPort: number;
  readonly clientPort: number;
}

export class DhcpServerCore {
  #site: Site;
  readonly #leases: LeaseStore;
  #ports: CorePorts;
  readonly #allocator = new PoolAllocator();
  readonly #offers = new Map<number, HeldOffer>();
  readonly #offerByClient = new Map<string, number>();
  #hostsByMac = new Map<string, DhcpHost>();
  #hostsById = new Map<string, DhcpHost>();
  #hostsByAddress = new Map<number, DhcpHost>();
  /** The subnets served on each interface, in site order. */
  #subnetsByInterface = new Map<string, DhcpSubnet[]>();
  /**
   * Merged option sets per subnet, then class, then host (the objects themselves as keys: no key
   * text per reply), rebuilt lazily after each reload.
   */
  #optionCache = new Map<DhcpSubnet, Map<DhcpClass | undefined, Map<DhcpHost | undefined, OptionSet>>>();

  constructor(site: Site, leases: LeaseStore, ports: Partial<CorePorts> = {}) {
    this.#site = site;
    this.#leases = leases;
    this.#ports = {
      serverPort: ports.serverPort ?? DHCP_SERVER_PORT,
      clientPort: ports.clientPort ?? DHCP_CLIENT_PORT,
    };
    this.#indexHosts();
  }

  get site(): Site {
    return this.#site;
  }

  setSite(site: Site, ports?: Partial<CorePorts>): void {
    this.#site = site;
    if (ports) this.#ports = { ...this.#ports, ...ports };
    this.#indexHosts();
  }

  #indexHosts(): void {
    this.#optionCache = new Map();
    this.#hostsByMac = new Map();
    this.#hostsById = new Map();
    this.#hostsByAddress = new Map();
    this.#subnetsByInterface = new Map();
    for (const subnet of this.#site.dhcp.subnets) {
      if (subnet.interface === undefined) continue; // reached through relays only
      const list = this.#subnetsByInterface.get(subnet.interface);
      if (list) list.push(subnet);
      else this.#subnetsByInterface.set(subnet.interface, [subnet]);
    }
    for (const host of this.#site.dhcp.hosts) {
      if (host.clientId !== undefined && !this.#hostsById.has(host.clientId))
        this.#hostsById.set(host.clientId, host);
      if (host.mac !== undefined && !this.#hostsByMac.has(host.mac)) this.#hostsByMac.set(host.mac, host);
      if (host.address !== undefined && !this.#hostsByAddress.has(host.address))
        this.#hostsByAddress.set(host.address, host);
    }
  }

  /** Forgets offers whose hold time has passed. */
  sweepOffers(now: number): void {
    for (const [address, offer] of this.#offers) {
      if (offer.expiresAt <= now) this.#dropOffer(address);
    }
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
    const ctx = this.#context(packet, type, arrival, now);
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
      const built = this.#buildReply(ctx, ctx.subnet, decision.reply);
      reply = built.reply;
      included = built.included;
    }
    // Every field present, in one order (the log line's), absent ones undefined: all DHCP message
    // events share one hidden class, so the timeline and metrics read them without megamorphic
    // lookups.
    const requested = packet.options.get(55);
    const event: DhcpMessageEvent = {
      type: "dhcp.message",
      at: now,
      mac: ctx.client.mac,
      clientId: ctx.client.clientId,
      message: name,
      vendorClass: ctx.vendorClass,
      requested: requested ? sharedCodeList(requested) : undefined,
      requestedAddress: ctx.requestedAddress !== undefined ? ipv4Text(ctx.requestedAddress) : undefined,
      interface: arrival.interface,
      relay: packet.giaddr !== 0 ? ipv4Text(packet.giaddr) : undefined,
      reply: reply?.message ?? null,
      replyReason: decision.reason,
      address: decision.reply && decision.reply.yiaddr !== 0 ? ipv4Text(decision.reply.yiaddr) : undefined,
      replyOptions: included ? sharedCodeList(included) : undefined,
      subnet: ctx.subnet?.cidr.text,
    };
    const extra = decision.extraEvents;
    const events: SitebootEvent[] = extra === undefined ? [event] : [event, ...extra];
    return reply ? { reply, leaseWrites: writes, events } : { leaseWrites: writes, events };
  }

  #context(packet: DhcpPacket, type: number, arrival: Arrival, now: number): Context {
    const client = clientIdentity(packet);
    const requested = packet.options.get(50);
    const requestedAddress =
      requested?.length === 4 ? readU32(requested) : packet.ciaddr !== 0 ? packet.ciaddr : undefined;
    const subnet = this.#selectSubnet(packet, arrival, requestedAddress);
    const host =
      (client.clientId !== undefined ? this.#hostsById.get(client.clientId) : undefined) ??
      (packet.htype === 1 && packet.hlen === 6 ? this.#hostsByMac.get(client.mac) : undefined);
    const vendorData = packet.options.get(60);
    const cls = vendorData ? this.#site.dhcp.classes.find((c) => safeMatch(c, vendorData)) : undefined;
    return {
      packet,
      type,
      client,
      key: leaseKeyOf(client, host),
      arrival,
      now,
      subnet,
      host,
      cls,
      vendorClass: vendorData ? printable(vendorData) : undefined,
      requestedAddress,
    };
  }

  /** RFC 2131 §4.3.1: by giaddr when relayed, else by the interface the request arrived on. */
  #selectSubnet(packet: DhcpPacket, arrival: Arrival, hint: number | undefined): DhcpSubnet | undefined {
    if (packet.giaddr !== 0) return this.#site.dhcp.subnets.find((s) => cidrContains(s.cidr, packet.giaddr));
    const local = this.#subnetsByInterface.get(arrival.interface);
    if (local === undefined) return undefined;
    if (local.length > 1 && hint !== undefined) {
      const containing = local.find((s) => cidrContains(s.cidr, hint));
      if (containing) return containing;
    }
    return local[0];
  }

  #decide(ctx: Context, subnet: DhcpSubnet): Decision {
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

  #discover(ctx: Context, subnet: DhcpSubnet): Decision {
    // In order of preference; the first that is usable is offered.
    const reserved = this.#reservedFor(ctx, subnet);
    if (reserved !== undefined && this.#availability(reserved, ctx) !== "busy") {
      return this.#offer(ctx, subnet, reserved, "reservation");
    }
    const held = this.#offerByClient.get(ctx.key);
    if (this.#offerable(held, subnet, ctx)) return this.#offer(ctx, subnet, held, "offer held");
    const own = this.#leases.byClient(ctx.key)?.address;
    if (this.#offerable(own, subnet, ctx)) return this.#offer(ctx, subnet, own, "client's lease");
    const requestedData = ctx.packet.options.get(50);
    const requested = requestedData?.length === 4 ? readU32(requestedData) : undefined;
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
  #offerable(address: number | undefined, subnet: DhcpSubnet, ctx: Context): address is number {
    return (
      address !== undefined &&
      cidrContains(subnet.cidr, address) &&
      inPools(subnet, address) &&
      this.#availability(address, ctx) !== "busy"
    );
  }

  #offer(ctx: Context, subnet: DhcpSubnet, address: number, why: string): Decision {
    const previous = this.#offerByClient.get(ctx.key);
    if (previous !== undefined && previous !== address) this.#dropOffer(previous);
    this.#offers.set(address, {
      clientKey: ctx.key,
      expiresAt: ctx.now + this.#site.dhcp.offerHoldSeconds * 1000,
    });
    this.#offerByClient.set(ctx.key, address);
    return {
      reply: { type: DhcpMessageType.OFFER, yiaddr: address, leaseSeconds: subnet.leaseTimeSeconds },
      reason: why,
    };
  }

  #dropOffer(address: number): void {
    const offer = this.#offers.get(address);
    if (!offer) return;
    this.#offers.delete(address);
    if (this.#offerByClient.get(offer.clientKey) === address) this.#offerByClient.delete(offer.clientKey);
  }

  /** The host reservation's address for this client when it lies in this subnet. */
  #reservedFor(ctx: Context, subnet: DhcpSubnet): number | undefined {
    const address = ctx.host?.address;
    return address !== undefined && cidrContains(subnet.cidr, address) ? address : undefined;
  }

  /**
   * Whether `address` may go to this client: not reserved for another host, not leased to another
   * client (active and unexpired), not quarantined, not offered to another client.
   */
  #availability(address: number, ctx: Context): "never-used" | "reusable" | "busy" {
    const reservedHost = this.#hostsByAddress.get(address);
    if (reservedHost !== undefined && reservedHost !== ctx.host) return "busy";
    const offer = this.#offers.get(address);
    if (offer && offer.expiresAt > ctx.now && !this.#owns(ctx, offer.clientKey)) return "busy";
    const lease = this.#leases.byAddress(address);
    if (!lease) return "never-used";
    if (lease.state === "declined" && lease.expiresAt > ctx.now) return "busy";
    if (this.#owns(ctx, lease.clientKey)) return "reusable";
    if (lease.state === "active" && lease.expiresAt > ctx.now) return "busy";
    return "reusable";
  }

  /** Whether a lease or offer stored under `key` is this client's. */
  #owns(ctx: Context, key: string): boolean {
    return isOwnKey(key, ctx.client, ctx.host);
  }

  // ---- REQUEST -------------------------------------------------------------------------------

  #request(ctx: Context, subnet: DhcpSubnet): Decision {
    const { packet } = ctx;
    const serverIdData = packet.options.get(54);
    const requestedData = packet.options.get(50);
    const requested = requestedData?.length === 4 ? readU32(requestedData) : undefined;
    if (serverIdData) {
      // SELECTING: the client answers one OFFER; when it chose another server, forget ours.
      const serverId = serverIdData.length === 4 ? readU32(serverIdData) : undefined;
      if (serverId !== subnet.serverId) {
        const held = this.#offerByClient.get(ctx.key);
        if (held !== undefined) this.#dropOffer(held);
        return {
          reason: `selecting another server (${serverId === undefined ? "bad id" : formatIpv4(serverId)})`,
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
  #assignable(ctx: Context, subnet: DhcpSubnet, address: number): boolean {
    if (this.#availability(address, ctx) === "busy") return false;
    const reserved = this.#reservedFor(ctx, subnet);
    if (reserved !== undefined) return reserved === address;
    if (this.#offerByClient.get(ctx.key) === address) return true;
    return inPools(subnet, address);
  }

  #nak(reason: string): Decision {
    return { reply: { type: DhcpMessageType.NAK, yiaddr: 0 }, reason };
  }

  #ack(ctx: Context, subnet: DhcpSubnet, address: number, reason: string): Decision {
    const held = this.#offerByClient.get(ctx.key);
    if (held !== undefined) this.#dropOffer(held);
    const leaseSeconds = subnet.leaseTimeSeconds;
    const lease: Lease = {
      address,
      clientKey: ctx.key,
      mac: ctx.client.mac,
      ...hostnameOf(ctx.packet),
      ...(ctx.vendorClass !== undefined ? { vendorClass: ctx.vendorClass } : {}),
      subnet: subnet.cidr.text,
      state: "active",
      start: ctx.now,
      expiresAt: ctx.now + leaseSeconds * 1000,
    };
    // If another record of this client holds a different address, free it: one lease per client.
    const previous = this.#leases.byClient(ctx.key);
    const writes: Lease[] = [];
    if (previous && previous.address !== address && previous.state === "active") {
      writes.push({ ...previous, state: "released", expiresAt: ctx.now });
    }
    writes.push(lease);
    return {
      reply: { type: DhcpMessageType.ACK, yiaddr: address, leaseSeconds },
      reason,
      writes,
      extraEvents: [
        {
          type: "dhcp.lease",
          at: ctx.now,
          action: "commit",
          mac: ctx.client.mac,
          address: formatIpv4(address),
          expiresAt: lease.expiresAt,
        },
      ],
    };
  }

  // ---- DECLINE / RELEASE ---------------------------------------------------------------------

  #decline(ctx: Context, subnet: DhcpSubnet): Decision {
    const serverId = ctx.packet.options.get(54);
    if (serverId && (serverId.length !== 4 || readU32(serverId) !== subnet.serverId)) {
      return { reason: "decline for another server" };
    }
    const data = ctx.packet.options.get(50);
    if (data?.length !== 4) return { reason: "decline without an address (option 50)" };
    const address = readU32(data);
    const lease = this.#leases.byAddress(address);
    const offered = this.#offers.get(address);
    if (!(lease && this.#owns(ctx, lease.clientKey)) && !(offered && this.#owns(ctx, offered.clientKey))) {
      return { reason: "decline for an address this client does not hold" };
    }
    this.#dropOffer(address);
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
      extraEvents: [
        {
          type: "dhcp.lease",
          at: ctx.now,
          action: "decline",
          mac: ctx.client.mac,
          address: formatIpv4(address),
          expiresAt: until,
        },
      ],
    };
  }

  #release(ctx: Context): Decision {
    const address = ctx.packet.ciaddr;
    const lease = address === 0 ? undefined : this.#leases.byAddress(address);
    if (!lease || !this.#owns(ctx, lease.clientKey) || lease.state !== "active") {
      return { reason: "release for a lease this client does not hold" };
    }
    return {
      reason: "released",
      writes: [{ ...lease, state: "released", expiresAt: ctx.now }],
      extraEvents: [
        {
          type: "dhcp.lease",
          at: ctx.now,
          action: "release",
          mac: ctx.client.mac,
          address: formatIpv4(address),
        },
      ],
    };
  }

  // ---- reply ---------------------------------------------------------------------------------

  #buildReply(
    ctx: Context,
    subnet: DhcpSubnet,
    reply: NonNullable<Decision["reply"]>,
  ): { reply: CoreReply; included: readonly number[] } {
    const { packet } = ctx;
    const requested = packet.options.get(55);
    const clientId = packet.options.get(61);
    const options = replyOptions({
      messageType: reply.type,
      serverId: subnet.serverId,
      subnet,
      ...(reply.leaseSeconds !== undefined ? { leaseSeconds: reply.leaseSeconds } : {}),
      configured: this.#configured(subnet, ctx.cls, ctx.host),
      requested: requested ?? NOTHING_REQUESTED,
      ...(clientId && clientId.length > 0 ? { clientId } : {}),
    });
    const relayAgent = packet.giaddr !== 0 ? packet.options.get(82) : undefined;
    const assembled = assembleOptions(
      options,
      maxMessageSize(packet) - IP_UDP_HEADERS - OPTIONS_OFFSET,
      relayAgent ? { code: 82, data: relayAgent } : undefined,
    );
    const isNak = reply.type === DhcpMessageType.NAK;
    const relayed = packet.giaddr !== 0;
    const bytes = encodeHeader(
      {
        op: BOOTREPLY,
        htype: packet.htype,
        hlen: packet.hlen,
        hops: 0,
        xid: packet.xid,
        secs: 0,
        // A relayed NAK asks the relay to broadcast it (RFC 2131 §4.3.2).
        flags: isNak && relayed ? packet.flags | BROADCAST_FLAG : packet.flags & BROADCAST_FLAG,
        ciaddr: isNak ? 0 : reply.type === DhcpMessageType.ACK ? packet.ciaddr : 0,
        yiaddr: reply.yiaddr,
        siaddr: 0,
        giaddr: packet.giaddr,
        chaddr: packet.chaddr,
      },
      Math.max(BOOTP_MIN_LENGTH, OPTIONS_OFFSET + assembled.main.length),
    );
    bytes.set(assembled.main, OPTIONS_OFFSET);
    if (assembled.file) bytes.set(assembled.file, FILE_OFFSET);
    if (assembled.sname) bytes.set(assembled.sname, SNAME_OFFSET);
    return {
      reply: {
        bytes,
        destination: this.#destination(packet, isNak, reply.ciaddr),
        message: messageTypeName(reply.type) as DhcpMessageName,
      },
      included: assembled.included,
    };
  }

  #configured(subnet: DhcpSubnet, cls: DhcpClass | undefined, host: DhcpHost | undefined): OptionSet {
    let byClass = this.#optionCache.get(subnet);
    if (!byClass) {
      byClass = new Map();
      this.#optionCache.set(subnet, byClass);
    }
    let byHost = byClass.get(cls);
    if (!byHost) {
      byHost = new Map();
      byClass.set(cls, byHost);
    }
    let options = byHost.get(host);
    if (!options) {
      options = effectiveOptions(this.#site.dhcp, subnet, cls, host);
      byHost.set(host, options);
    }
    return options;
  }

  /** RFC 2131 §4.1: relay first; NAKs broadcast; ciaddr unicast; otherwise broadcast. */
  #destination(packet: DhcpPacket, isNak: boolean, informCiaddr: number | undefined): ReplyDestination {
    if (packet.giaddr !== 0) {
      return { address: ipv4Text(packet.giaddr), port: this.#ports.serverPort, broadcast: false };
    }
    const ciaddr = informCiaddr ?? packet.ciaddr;
    if (!isNak && ciaddr !== 0)
      return { address: ipv4Text(ciaddr), port: this.#ports.clientPort, broadcast: false };
    return { address: LIMITED_BROADCAST, port: this.#ports.clientPort, broadcast: true };
  }

  // ---- expiry --------------------------------------------------------------------------------

  /**
   * Active leases past their end become "expired", quarantined addresses past probation become
   * "expired" too; returns the writes and their events. The service runs this periodically.
   */
  reclaim(now: number, limit = 1000): { writes: Lease[]; events: SitebootEvent[] } {
    this.sweepOffers(now);
    const writes: Lease[] = [];
    const events: SitebootEvent[] = [];
    for (const lease of this.#leases.all()) {
      if (writes.length >= limit) break;
      if ((lease.state === "active" || lease.state === "declined") && lease.expiresAt <= now) {
        writes.push({ ...lease, state: "expired" });
        if (lease.state === "active") {
          events.push({
            type: "dhcp.lease",
            at: now,
            action: "expire",
            mac: lease.mac,
            address: formatIpv4(lease.address),
            expiresAt: lease.expiresAt,
          });
        }
      }
    }
    return { writes, events };
  }
}

function readU32(data: Uint8Array): number {
  return ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
}

function maxMessageSize(packet: DhcpPacket): number {
  const data = packet.options.get(57);
  if (data?.length !== 2) return MIN_MESSAGE_SIZE;
  const value = (data[0]! << 8) | data[1]!;
  return Math.min(Math.max(value, MIN_MESSAGE_SIZE), MAX_MESSAGE_SIZE);
}

function safeMatch(cls: DhcpClass, data: Uint8Array): boolean {
  try {
    return matchVendorClass(cls.match, data);
  } catch {
    return false;
  }
}

/** Text of an option for logs and leases: printable ASCII as is (trailing NULs dropped), else hex. */
export function printable(data: Uint8Array): string {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  const body = data.subarray(0, end);
  for (const b of body) {
    if (b < 0x20 || b > 0x7e) return `0x${hex(data)}`;
  }
  return Buffer.from(body).toString("latin1");
}

function hostnameOf(packet: DhcpPacket): { hostname?: string } {
  const data = packet.options.get(12);
  if (!data || data.length === 0) return {};
  const text = printable(data);
  return text.startsWith("0x") || text.length === 0 ? {} : { hostname: text };
}

/**
 * The DHCP events the core emits: one dhcp.message per request handled, and dhcp.lease for each
 * lease committed, released, declined or expired.
 */
import { formatIpv4, ipv4Text } from "../config/ipv4.js";
import type { DhcpLeaseEvent, DhcpMessageEvent, DhcpMessageName } from "../observe/events.js";
import { sharedCodeList } from "./code-lists.js";
import type { RequestContext } from "./request-context.js";

/**
 * Every field present, in one order (the log line's), absent ones undefined: all DHCP message
 * events share one hidden class, so the timeline and metrics read them without megamorphic lookups.
 */
export function messageEvent(
  ctx: RequestContext,
  message: DhcpMessageName,
  reply: DhcpMessageName | null,
  reason: string,
  /** The address the reply carries (yiaddr), 0 for none. */
  address: number,
  /** The option codes the reply carries. */
  included: readonly number[] | undefined,
): DhcpMessageEvent {
  const { packet } = ctx;
  const requested = packet.options.get(55);
  return {
    type: "dhcp.message",
    at: ctx.now,
    mac: ctx.client.mac,
    clientId: ctx.client.clientId,
    message,
    vendorClass: ctx.vendorClass,
    requested: requested ? sharedCodeList(requested) : undefined,
    requestedAddress: ctx.requestedAddress !== undefined ? ipv4Text(ctx.requestedAddress) : undefined,
    interface: ctx.arrival.interface,
    relay: packet.giaddr !== 0 ? ipv4Text(packet.giaddr) : undefined,
    reply,
    replyReason: reason,
    address: address !== 0 ? ipv4Text(address) : undefined,
    replyOptions: included ? sharedCodeList(included) : undefined,
    subnet: ctx.subnet?.cidr.text,
  };
}

export function leaseEvent(
  action: DhcpLeaseEvent["action"],
  at: number,
  mac: string,
  address: number,
  expiresAt?: number,
): DhcpLeaseEvent {
  return expiresAt === undefined
    ? { type: "dhcp.lease", at, action, mac, address: formatIpv4(address) }
    : { type: "dhcp.lease", at, action, mac, address: formatIpv4(address), expiresAt };
}

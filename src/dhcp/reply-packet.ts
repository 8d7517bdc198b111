/**
 * The reply datagram (RFC 2131 §4.3): its options (reply-options.ts) laid out within the size the
 * client accepts, the BOOTP header copied from the request, and where it goes (§4.1).
 */
import { ipv4Text } from "../config/ipv4.js";
import type { DhcpSubnet, OptionSet } from "../config/site.js";
import type { DhcpMessageName } from "../observe/events.js";
import { assembleOptions } from "./options-field.js";
import {
  BOOTREPLY,
  BROADCAST_FLAG,
  DhcpMessageType,
  type DhcpPacket,
  encodeHeader,
  FILE_OFFSET,
  messageTypeName,
  OPTIONS_OFFSET,
  SNAME_OFFSET,
} from "./packet.js";
import { replyOptions } from "./reply-options.js";

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

export interface CorePorts {
  readonly serverPort: number;
  readonly clientPort: number;
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

/** What the decision says to answer. */
export interface ReplyPlan {
  readonly type: number;
  readonly yiaddr: number;
  readonly leaseSeconds?: number;
  /** Send to ciaddr even without a lease (INFORM). */
  readonly ciaddr?: number;
  /** Option 81 for the reply (RFC 4702), when the client sent one and lease names are on. */
  readonly clientFqdn?: Uint8Array;
}

/** The reply bytes and destination, and the option codes that fitted (for the message event). */
export function buildReply(
  request: DhcpPacket,
  subnet: DhcpSubnet,
  plan: ReplyPlan,
  configured: OptionSet,
  ports: CorePorts,
): { reply: CoreReply; included: readonly number[] } {
  const requested = request.options.get(55);
  const clientId = request.options.get(61);
  const options = replyOptions({
    messageType: plan.type,
    serverId: subnet.serverId,
    subnet,
    ...(plan.leaseSeconds !== undefined ? { leaseSeconds: plan.leaseSeconds } : {}),
    configured,
    requested: requested ?? NOTHING_REQUESTED,
    ...(clientId && clientId.length > 0 ? { clientId } : {}),
    ...(plan.clientFqdn ? { clientFqdn: plan.clientFqdn } : {}),
  });
  const relayed = request.giaddr !== 0;
  const relayAgent = relayed ? request.options.get(82) : undefined;
  const assembled = assembleOptions(
    options,
    maxMessageSize(request) - IP_UDP_HEADERS - OPTIONS_OFFSET,
    relayAgent ? { code: 82, data: relayAgent } : undefined,
  );
  const isNak = plan.type === DhcpMessageType.NAK;
  const bytes = encodeHeader(
    {
      op: BOOTREPLY,
      htype: request.htype,
      hlen: request.hlen,
      hops: 0,
      xid: request.xid,
      secs: 0,
      // A relayed NAK asks the relay to broadcast it (RFC 2131 §4.3.2).
      flags: isNak && relayed ? request.flags | BROADCAST_FLAG : request.flags & BROADCAST_FLAG,
      ciaddr: isNak ? 0 : plan.type === DhcpMessageType.ACK ? request.ciaddr : 0,
      yiaddr: plan.yiaddr,
      siaddr: 0,
      giaddr: request.giaddr,
      chaddr: request.chaddr,
    },
    Math.max(BOOTP_MIN_LENGTH, OPTIONS_OFFSET + assembled.main.length),
  );
  bytes.set(assembled.main, OPTIONS_OFFSET);
  if (assembled.file) bytes.set(assembled.file, FILE_OFFSET);
  if (assembled.sname) bytes.set(assembled.sname, SNAME_OFFSET);
  return {
    reply: {
      bytes,
      destination: replyDestination(request, isNak, plan.ciaddr, ports),
      message: messageTypeName(plan.type) as DhcpMessageName,
    },
    included: assembled.included,
  };
}

/** RFC 2131 §4.1: relay first; NAKs broadcast; ciaddr unicast; otherwise broadcast. */
function replyDestination(
  request: DhcpPacket,
  isNak: boolean,
  informCiaddr: number | undefined,
  ports: CorePorts,
): ReplyDestination {
  if (request.giaddr !== 0) {
    return { address: ipv4Text(request.giaddr), port: ports.serverPort, broadcast: false };
  }
  const ciaddr = informCiaddr ?? request.ciaddr;
  if (!isNak && ciaddr !== 0) return { address: ipv4Text(ciaddr), port: ports.clientPort, broadcast: false };
  return { address: LIMITED_BROADCAST, port: ports.clientPort, broadcast: true };
}

/** Option 57 bounded to 576…1500 (IP/UDP headers included, as ISC dhcpd reads it); 576 without it. */
function maxMessageSize(request: DhcpPacket): number {
  const data = request.options.get(57);
  if (data?.length !== 2) return MIN_MESSAGE_SIZE;
  const value = (data[0]! << 8) | data[1]!;
  return Math.min(Math.max(value, MIN_MESSAGE_SIZE), MAX_MESSAGE_SIZE);
}

/**
 * Which options a reply carries, and in what order: the mandatory ones (53, 54, 51, 1, 3), then
 * the client's parameter request list (55) in the client's order, then everything else the site
 * configures for this client (host > class > subnet > global). The relay agent option (82) is
 * echoed last by the packet writer.
 */
import { BoundedMemo } from "../bounded-memo.js";
import { layeredOptions } from "../config/derive-dhcp.js";
import { ipv4ToBytes } from "../config/ipv4.js";
import type { ConfiguredOption, DhcpClass, DhcpHost, DhcpSite, DhcpSubnet } from "../config/site.js";
import type { ReplyOption } from "./options-field.js";

/** Options the protocol itself owns: never taken from configuration, never echoed from 55. */
const PROTOCOL_OWNED = new Set([0, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 82, 255]);

/** The site's options for one client (precedence from the config layer), in code order. */
export function effectiveOptions(
  site: DhcpSite,
  subnet: DhcpSubnet | undefined,
  cls: DhcpClass | undefined,
  host: DhcpHost | undefined,
): Map<number, ConfiguredOption> {
  const layered = layeredOptions(site, subnet, cls, host);
  return new Map([...layered].filter(([code]) => !PROTOCOL_OWNED.has(code)).sort((a, b) => a[0] - b[0]));
}

export interface ReplyOptionInput {
  readonly messageType: number;
  readonly serverId: number;
  readonly subnet?: DhcpSubnet;
  /** Lease time in seconds; absent for INFORM and NAK. */
  readonly leaseSeconds?: number;
  /** From effectiveOptions (code order). */
  readonly configured: ReadonlyMap<number, ConfiguredOption>;
  /** Option 55 from the request, in the client's order. */
  readonly requested: ArrayLike<number>;
  /** Option 61 to echo (RFC 6842). */
  readonly clientId?: Uint8Array;
}

/**
 * Four-octet values (mask, router, server identifier, lease times) repeat in every reply of a
 * subnet: one shared copy each. The option assembler copies them into the reply and never changes
 * them.
 */
const u32Values = new BoundedMemo(1024, (value: number) => ipv4ToBytes(value >>> 0));

function u32(value: number): Uint8Array {
  return u32Values.get(value);
}

/** Option 53's value for each message type (1–8), shared like the four-octet values. */
const MESSAGE_TYPES = Array.from({ length: 9 }, (_, type) => Uint8Array.of(type));

/** Codes already placed in the reply being built (replies are built one at a time, synchronously). */
const taken = new Uint8Array(256);

/** Builds the ordered option list for an OFFER, ACK (with or without lease) or NAK. */
export function replyOptions(input: ReplyOptionInput): ReplyOption[] {
  const out: ReplyOption[] = [
    { code: 53, data: MESSAGE_TYPES[input.messageType] ?? Uint8Array.of(input.messageType) },
    { code: 54, data: u32(input.serverId) },
  ];
  if (input.messageType === 6) {
    if (input.clientId) out.push({ code: 61, data: input.clientId });
    return out;
  }
  taken.fill(0);
  const place = (code: number, data: Uint8Array) => {
    out.push({ code, data });
    taken[code] = 1;
  };
  taken[53] = 1;
  taken[54] = 1;
  // T1/T2 travel with the configured options: in 55's order when asked for, else in code order.
  let t1: Uint8Array | undefined;
  let t2: Uint8Array | undefined;
  if (input.leaseSeconds !== undefined) {
    place(51, u32(input.leaseSeconds));
    if (input.subnet) {
      t1 = u32(Math.min(input.subnet.renewSeconds, input.leaseSeconds));
      t2 = u32(Math.min(input.subnet.rebindSeconds, input.leaseSeconds));
    }
  }
  const lookup = (code: number): Uint8Array | undefined =>
    code === 58 && t1 ? t1 : code === 59 && t2 ? t2 : input.configured.get(code)?.data;
  if (input.subnet) {
    place(1, u32(input.subnet.cidr.mask));
    const router = input.subnet.router;
    if (router !== undefined) place(3, u32(router));
  }
  const requested = input.requested;
  for (let i = 0; i < requested.length; i++) {
    const code = requested[i]!;
    if (taken[code]) continue;
    const data = lookup(code);
    if (data !== undefined) place(code, data);
  }
  // What the site configures is sent whether asked for or not (phones rarely ask for 66 or 160).
  let timersPending = t1 !== undefined;
  const placeTimers = () => {
    if (t1 && !taken[58]) place(58, t1);
    if (t2 && !taken[59]) place(59, t2);
  };
  input.configured.forEach((option, code) => {
    if (timersPending && code > 59) {
      placeTimers();
      timersPending = false;
    }
    if (!taken[code]) place(code, option.data);
  });
  if (timersPending) placeTimers();
  if (input.clientId) out.push({ code: 61, data: input.clientId });
  return out;
}

/**
 * Which options a reply carries, and in what order: the mandatory ones (53, 54, 51, 1, 3), then
 * the client's parameter request list (55) in the client's order, then everything else the site
 * configures for this client (host > class > subnet > global). The relay agent option (82) is
 * echoed last by the packet writer.
 */
import { BoundedMemo } from "../bounded-memo.js";
import { layeredOptions } from "../config/dhcp/layers.js";
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
  /** Option 81 answer (RFC 4702): takes the place of any configured option 81. */
  readonly clientFqdn?: Uint8Array;
}

/**
 * Four-octet options (mask, router, server identifier, lease times) repeat in every reply of a
 * subnet: one shared option object each, keyed by code and value. The option assembler copies
 * their bytes into the reply and never changes them.
 */
const u32Options = new BoundedMemo(
  1024,
  (key: number): ReplyOption => ({ code: Math.floor(key / 2 ** 32), data: ipv4ToBytes(key >>> 0) }),
);

function u32Option(code: number, value: number): ReplyOption {
  return u32Options.get(code * 2 ** 32 + (value >>> 0));
}

/** Option 53 for each message type (1–8), shared like the four-octet options. */
const MESSAGE_TYPES = Array.from(
  { length: 9 },
  (_, type): ReplyOption => ({ code: 53, data: Uint8Array.of(type) }),
);

/** Codes already placed in the reply being built (replies are built one at a time, synchronously). */
const taken = new Uint8Array(256);

/**
 * Builds the ordered option list for an OFFER, ACK (with or without lease) or NAK. Configured
 * options go in as the site's own objects: a reply allocates its list and nothing per option.
 */
export function replyOptions(input: ReplyOptionInput): ReplyOption[] {
  const out: ReplyOption[] = [
    MESSAGE_TYPES[input.messageType] ?? { code: 53, data: Uint8Array.of(input.messageType) },
    u32Option(54, input.serverId),
  ];
  if (input.messageType === 6) {
    if (input.clientId) out.push({ code: 61, data: input.clientId });
    return out;
  }
  taken.fill(0);
  taken[53] = 1;
  taken[54] = 1;
  // T1/T2 travel with the configured options: in 55's order when asked for, else in code order.
  let t1: ReplyOption | undefined;
  let t2: ReplyOption | undefined;
  if (input.leaseSeconds !== undefined) {
    out.push(u32Option(51, input.leaseSeconds));
    taken[51] = 1;
    if (input.subnet) {
      t1 = u32Option(58, Math.min(input.subnet.renewSeconds, input.leaseSeconds));
      t2 = u32Option(59, Math.min(input.subnet.rebindSeconds, input.leaseSeconds));
    }
  }
  if (input.subnet) {
    out.push(u32Option(1, input.subnet.cidr.mask));
    taken[1] = 1;
    const router = input.subnet.router;
    if (router !== undefined) {
      out.push(u32Option(3, router));
      taken[3] = 1;
    }
  }
  if (input.clientFqdn) taken[81] = 1;
  const configured = input.configured;
  const requested = input.requested;
  for (let i = 0; i < requested.length; i++) {
    const code = requested[i]!;
    if (taken[code]) continue;
    const option = code === 58 && t1 ? t1 : code === 59 && t2 ? t2 : configured.get(code);
    if (option === undefined) continue;
    out.push(option);
    taken[code] = 1;
  }
  // What the site configures is sent whether asked for or not (phones rarely ask for 66 or 160).
  let timersPending = t1 !== undefined;
  for (const option of configured.values()) {
    if (timersPending && option.code > 59) {
      placeTimers(out, t1, t2);
      timersPending = false;
    }
    if (!taken[option.code]) {
      out.push(option);
      taken[option.code] = 1;
    }
  }
  if (timersPending) placeTimers(out, t1, t2);
  if (input.clientFqdn) out.push({ code: 81, data: input.clientFqdn });
  if (input.clientId) out.push({ code: 61, data: input.clientId });
  return out;
}

function placeTimers(out: ReplyOption[], t1: ReplyOption | undefined, t2: ReplyOption | undefined): void {
  if (t1 && !taken[58]) {
    out.push(t1);
    taken[58] = 1;
  }
  if (t2 && !taken[59]) {
    out.push(t2);
    taken[59] = 1;
  }
}

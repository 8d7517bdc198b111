/**
 * Which options a reply carries, and in what order: the mandatory ones (53, 54, 51, 1, 3), then
 * the client's parameter request list (55) in the client's order, then everything else the site
 * configures for this client (host > class > subnet > global). The relay agent option (82) is
 * echoed last by the packet writer.
 */
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
  readonly requested: readonly number[];
  /** Option 61 to echo (RFC 6842). */
  readonly clientId?: Uint8Array;
}

function u32(value: number): Uint8Array {
  return ipv4ToBytes(value >>> 0);
}

/** Builds the ordered option list for an OFFER, ACK (with or without lease) or NAK. */
export function replyOptions(input: ReplyOptionInput): ReplyOption[] {
  const out: ReplyOption[] = [
    { code: 53, data: Uint8Array.of(input.messageType) },
    { code: 54, data: u32(input.serverId) },
  ];
  if (input.messageType === 6) {
    if (input.clientId) out.push({ code: 61, data: input.clientId });
    return out;
  }
  // T1/T2 travel with the configured options: in 55's order when asked for, else in code order.
  let timers: Map<number, Uint8Array> | undefined;
  if (input.leaseSeconds !== undefined) {
    out.push({ code: 51, data: u32(input.leaseSeconds) });
    if (input.subnet) {
      timers = new Map([
        [58, u32(Math.min(input.subnet.renewSeconds, input.leaseSeconds))],
        [59, u32(Math.min(input.subnet.rebindSeconds, input.leaseSeconds))],
      ]);
    }
  }
  const lookup = (code: number): Uint8Array | undefined =>
    timers?.get(code) ?? input.configured.get(code)?.data;
  const taken = new Set<number>([53, 54, 51]);
  if (input.subnet) {
    out.push({ code: 1, data: u32(input.subnet.cidr.mask) });
    taken.add(1);
    const router = input.subnet.router;
    if (router !== undefined) {
      out.push({ code: 3, data: u32(router) });
      taken.add(3);
    }
  }
  for (const code of input.requested) {
    if (taken.has(code)) continue;
    const data = lookup(code);
    if (data === undefined) continue;
    out.push({ code, data });
    taken.add(code);
  }
  // What the site configures is sent whether asked for or not (phones rarely ask for 66 or 160).
  let timersPending = timers !== undefined;
  for (const [code, option] of input.configured) {
    if (timersPending && code > 59) {
      pushTimers(out, timers!, taken);
      timersPending = false;
    }
    if (taken.has(code)) continue;
    out.push({ code, data: option.data });
    taken.add(code);
  }
  if (timersPending) pushTimers(out, timers!, taken);
  if (input.clientId) out.push({ code: 61, data: input.clientId });
  return out;
}

function pushTimers(out: ReplyOption[], timers: ReadonlyMap<number, Uint8Array>, taken: Set<number>): void {
  for (const [code, data] of timers) {
    if (taken.has(code)) continue;
    out.push({ code, data });
    taken.add(code);
  }
}

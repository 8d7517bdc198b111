/**
 * Response-rate limiting applied to one UDP response the engine is about to send: its RRL class
 * (NSD's classification; there are no referrals or wildcards here), the limiter's decision, the
 * `dns.rate-limited` event, and the slipped reply.
 */
import type { EventSink } from "../observe/events.js";
import { QueryStatus } from "./query-parser.js";
import { RateDecision, type RateLimiter, ResponseClass } from "./rate-limiter.js";
import { headerOnlyReply, questionReply } from "./reply.js";
import { RCODE } from "./wire.js";

/** What of the engine the limit needs. */
export interface LimitContext {
  readonly limiter: RateLimiter;
  readonly deps: { readonly events: EventSink; readonly now: () => number };
  readonly quiet: boolean;
}

/** The query a response answers, as far as a slipped reply needs it. */
export interface LimitedQuery {
  readonly bytes: Uint8Array;
  readonly questionEnd: number;
  readonly edns: boolean;
  /** The gate's verdict: a FORMERR/NOTIMP slip is header-only, as the reply would have been. */
  readonly status: QueryStatus;
}

export function responseClass(rcode: number, ancount: number): ResponseClass {
  if (rcode === RCODE.NXDOMAIN) return ResponseClass.NXDOMAIN;
  if (rcode !== RCODE.NOERROR) return ResponseClass.ERROR;
  return ancount > 0 ? ResponseClass.ANSWER : ResponseClass.NODATA;
}

/**
 * undefined when the response may go out, null when it is dropped, or the slipped reply (TC=1,
 * the question only) that a real client retries over TCP. `name` tells identical responses apart.
 */
export function limitResponse(
  ctx: LimitContext,
  client: string,
  query: LimitedQuery,
  cls: ResponseClass,
  name: string | object,
): Buffer | null | undefined {
  const decision = ctx.limiter.check(client, cls, name, ctx.deps.now());
  if (decision === RateDecision.ANSWER) return undefined;
  const slip = decision === RateDecision.SLIP;
  if (!ctx.quiet) {
    ctx.deps.events.emit({
      type: "dns.rate-limited",
      at: ctx.deps.now(),
      client,
      action: slip ? "slip" : "drop",
    });
  }
  if (!slip) return null;
  const { bytes, status } = query;
  return status === QueryStatus.OK || status === QueryStatus.BADVERS
    ? questionReply(bytes, query.questionEnd, query.edns, RCODE.NOERROR, { aa: false, tc: true, ra: false })
    : headerOnlyReply(bytes, status === QueryStatus.NOTIMP ? RCODE.NOTIMP : RCODE.FORMERR, true);
}

/**
 * The limit for a forwarded answer (relayed or cached), classified by what the upstream said. Its
 * zone is not known, so NODATA and NXDOMAIN are told apart by the qname. `questionKey` is the
 * lowercase wire qname plus the 2 qtype octets.
 */
export function limitRelayed(
  ctx: LimitContext,
  client: string,
  query: LimitedQuery,
  rcode: number,
  ancount: number,
  questionKey: string,
): Buffer | null | undefined {
  const cls = responseClass(rcode, ancount);
  const name =
    cls === ResponseClass.ANSWER ? questionKey : cls === ResponseClass.ERROR ? "" : questionKey.slice(0, -2);
  return limitResponse(ctx, client, query, cls, name);
}

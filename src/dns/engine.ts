/**
 * The DNS decision core, without sockets: query bytes + client → reply bytes (or null for
 * silence, or a promise when the answer comes from an upstream). The fixed chain is
 * gate → rate limit → authority → cache → forwarder. A thrown error becomes SERVFAIL plus a
 * `service.error` event; nothing escapes to the transport.
 */
import type { DnsSite, Upstream } from "../config/site.js";
import { type EventSink, NO_EVENTS } from "../observe/events.js";
import { type Authority, type CompiledAnswer, compileAuthority } from "./authority.js";
import { forwardAllowed } from "./client-address.js";
import { Forwarder } from "./forwarder.js";
import { LeaseAuthority } from "./lease-authority.js";
import type { LeaseNames } from "./lease-names.js";
import { ParsedQuery, parseQuery, QueryStatus } from "./query-parser.js";
import { RateDecision, RateLimiter } from "./rate-limiter.js";
import { compiledReply, headerOnlyReply, questionReply, relayedReply } from "./reply.js";
import { ResponseCache, serveCached } from "./response-cache.js";
import {
  CLASS_IN,
  CLASSIC_UDP_PAYLOAD,
  HEADER_LENGTH,
  MAX_UDP_PAYLOAD,
  RCODE,
  rcodeName,
  TYPE,
  typeName,
  wireToName,
} from "./wire.js";

export interface ClientInfo {
  readonly address: string;
  readonly port: number;
  readonly transport: "udp" | "tcp";
}

export interface EngineDeps {
  readonly events: EventSink;
  /** Wall clock in milliseconds (events, cache ages, rate-limit refills). */
  readonly now: () => number;
  /** Lease host names served in the zones (`dhcp.ddns`). */
  readonly leaseNames?: LeaseNames;
}

/** Forwarded queries in flight at once; beyond this, SERVFAIL at once rather than queue. */
export const MAX_FORWARDS_IN_FLIGHT = 1024;

export type AnswerResult = Buffer | null | Promise<Buffer | null>;

/** Everything compiled from one DnsSite; swapped whole on reload. */
export class DnsEngine {
  readonly authority: Authority;
  readonly forwarder: Forwarder | undefined;
  readonly cache: ResponseCache;
  readonly limiter: RateLimiter;
  /** Reused for every query: answerQuery reads it synchronously only. */
  readonly parsed = new ParsedQuery();
  readonly quiet: boolean;

  constructor(
    readonly dns: DnsSite,
    readonly deps: EngineDeps,
    previous?: DnsEngine,
  ) {
    this.authority = deps.leaseNames ? new LeaseAuthority(dns, deps.leaseNames) : compileAuthority(dns);
    this.quiet = deps.events === NO_EVENTS;
    this.forwarder =
      dns.forwarders.length > 0
        ? new Forwarder({
            upstreams: dns.forwarders,
            timeoutMs: dns.forwardTimeoutMs,
            maxInFlight: MAX_FORWARDS_IN_FLIGHT,
          })
        : undefined;
    // Keep what the old engine learned when it still applies.
    const sameUpstreams = previous !== undefined && sameList(previous.dns.forwarders, dns.forwarders);
    this.cache =
      sameUpstreams && previous.cache.maxEntries === dns.cacheEntries
        ? previous.cache
        : new ResponseCache(dns.cacheEntries);
    if (previous) {
      previous.limiter.update(dns.rateLimit);
      this.limiter = previous.limiter;
    } else {
      this.limiter = new RateLimiter(dns.rateLimit);
    }
  }
}

function sameList(a: readonly Upstream[], b: readonly Upstream[]): boolean {
  return a.length === b.length && a.every((u, i) => u.address === b[i]!.address && u.port === b[i]!.port);
}

export function createEngine(dns: DnsSite, deps: Partial<EngineDeps> = {}, previous?: DnsEngine): DnsEngine {
  return new DnsEngine(dns, { events: deps.events ?? NO_EVENTS, now: deps.now ?? Date.now }, previous);
}

/**
 * Answers one query. Reads `client` synchronously only. Returns the reply, null when the query
 * gets no answer (a response packet, a runt, or rate-limited), or a promise for forwarded queries.
 */
export function answerQuery(engine: DnsEngine, query: Uint8Array, client: ClientInfo): AnswerResult {
  try {
    return answer(engine, query, client);
  } catch (error) {
    return failed(engine, query, client, error);
  }
}

function failed(engine: DnsEngine, query: Uint8Array, client: ClientInfo, error: unknown): Buffer | null {
  try {
    reportError(engine, client, error);
    if (query.length >= HEADER_LENGTH && !(query[2]! & 0x80)) {
      emitQuery(engine, client, "", "", RCODE.SERVFAIL, "error", 0, false);
    }
  } catch {
    // The event sink itself failed: still answer.
  }
  if (query.length < HEADER_LENGTH || query[2]! & 0x80) return null;
  return headerOnlyReply(query, RCODE.SERVFAIL);
}

function reportError(engine: DnsEngine, client: ClientInfo, error: unknown): void {
  engine.deps.events.emit({
    type: "service.error",
    at: engine.deps.now(),
    service: "dns",
    message: `query from ${client.address} failed: ${error instanceof Error ? error.message : String(error)}`,
    ...(error instanceof Error && error.stack ? { detail: error.stack } : {}),
  });
}

function emitQuery(
  engine: DnsEngine,
  client: ClientInfo,
  name: string,
  qtype: string,
  rcode: number,
  source: "authority" | "cache" | "forward" | "refused" | "error",
  answers: number,
  truncated: boolean,
): void {
  engine.deps.events.emit({
    type: "dns.query",
    at: engine.deps.now(),
    client: client.address,
    transport: client.transport,
    name,
    qtype,
    rcode: rcodeName(rcode),
    source,
    answers,
    truncated,
  });
}

function answer(engine: DnsEngine, query: Uint8Array, client: ClientInfo): AnswerResult {
  const q = engine.parsed;
  const status = parseQuery(query, q);
  if (status === QueryStatus.DROP) return null;
  const udp = client.transport === "udp";

  if (udp && engine.limiter.enabled) {
    const decision = engine.limiter.check(client.address, engine.deps.now());
    if (decision !== RateDecision.ANSWER) {
      const slip = decision === RateDecision.SLIP;
      if (!engine.quiet) {
        engine.deps.events.emit({
          type: "dns.rate-limited",
          at: engine.deps.now(),
          client: client.address,
          action: slip ? "slip" : "drop",
        });
      }
      if (!slip) return null;
      return status === QueryStatus.OK || status === QueryStatus.BADVERS
        ? questionReply(query, q.questionEnd, q.edns, RCODE.NOERROR, { aa: false, tc: true, ra: false })
        : headerOnlyReply(query, status === QueryStatus.NOTIMP ? RCODE.NOTIMP : RCODE.FORMERR, true);
    }
  }

  if (status !== QueryStatus.OK) {
    let reply: Buffer;
    let rcode: number;
    if (status === QueryStatus.BADVERS) {
      rcode = RCODE.BADVERS;
      reply = questionReply(query, q.questionEnd, true, rcode, { aa: false, tc: false, ra: false });
    } else {
      rcode = status === QueryStatus.NOTIMP ? RCODE.NOTIMP : RCODE.FORMERR;
      reply = headerOnlyReply(query, rcode);
    }
    if (!engine.quiet) {
      const named = status === QueryStatus.BADVERS;
      emitQuery(
        engine,
        client,
        named ? queryName(q) : "",
        named ? typeName(q.qtype) : "",
        rcode,
        "error",
        0,
        false,
      );
    }
    return reply;
  }

  const budget = udp ? (q.edns ? Math.min(q.udpSize, MAX_UDP_PAYLOAD) : CLASSIC_UDP_PAYLOAD) : 0xffff;
  const forwarding =
    engine.forwarder !== undefined && forwardAllowed(engine.dns.forwardAllow, client.address);

  if (q.qclass !== CLASS_IN || q.qtype === TYPE.AXFR || q.qtype === TYPE.IXFR) {
    return refused(engine, query, q, client, forwarding);
  }

  const auth = engine.authority;
  const found: CompiledAnswer | undefined = auth.answer(q) ?? zoneNxFor(auth, q);
  if (found !== undefined) {
    const reply = compiledReply(query, q, found, budget, forwarding);
    if (!engine.quiet) {
      const truncated = (reply[2]! & 0x02) !== 0;
      emitQuery(
        engine,
        client,
        found.name === "" || found.qtypeName === "" ? queryName(q) : found.name,
        found.qtypeName === "" ? typeName(q.qtype) : found.qtypeName,
        found.rcode,
        "authority",
        truncated ? 0 : found.ancount,
        truncated,
      );
    }
    return reply;
  }

  if (!forwarding) return refused(engine, query, q, client, false);
  return forward(engine, query, q, client, budget);
}

function queryName(q: ParsedQuery): string {
  return wireToName(q.key, 0, q.nameLength);
}

/** NXDOMAIN template of the closest zone enclosing the qname, found by walking its label suffixes. */
function zoneNxFor(auth: Authority, q: ParsedQuery): CompiledAnswer | undefined {
  if (auth.zoneCount === 0) return undefined;
  const key = q.key;
  let at = 0;
  while (at < q.nameLength) {
    const hit = auth.zoneNx.get(key.toString("latin1", at, q.nameLength));
    if (hit) return hit;
    const len = key[at]!;
    if (len === 0) break;
    at += len + 1;
  }
  return undefined;
}

function refused(
  engine: DnsEngine,
  query: Uint8Array,
  q: ParsedQuery,
  client: ClientInfo,
  ra: boolean,
): Buffer {
  const reply = questionReply(query, q.questionEnd, q.edns, RCODE.REFUSED, { aa: false, tc: false, ra });
  if (!engine.quiet)
    emitQuery(engine, client, queryName(q), typeName(q.qtype), RCODE.REFUSED, "refused", 0, false);
  return reply;
}

function forward(
  engine: DnsEngine,
  query: Uint8Array,
  q: ParsedQuery,
  client: ClientInfo,
  budget: number,
): AnswerResult {
  const forwarder = engine.forwarder!;
  // The cache key separates classes and EDNS/DO/CD so a reply never carries an OPT the client did not ask for.
  const key =
    q.keyString(true) +
    String.fromCharCode(
      q.qclass >> 8,
      q.qclass & 0xff,
      (q.edns ? 1 : 0) | (q.dnssecOk ? 2 : 0) | (q.flags & 0x10 ? 4 : 0),
    );
  const now = engine.deps.now();
  const questionEnd = q.questionEnd;
  const edns = q.edns;
  const name = engine.quiet ? "" : queryName(q);
  const qtype = engine.quiet ? "" : typeName(q.qtype);
  const cached = engine.cache.get(key, now);
  if (cached) {
    const reply = relayedReply(serveCached(cached, query, now), query, questionEnd, edns, budget);
    if (!engine.quiet) {
      const truncated = (reply[2]! & 0x02) !== 0;
      emitQuery(
        engine,
        client,
        name,
        qtype,
        cached.rcode,
        "cache",
        truncated ? 0 : cached.ancount,
        truncated,
      );
    }
    return reply;
  }
  if (forwarder.saturated) {
    if (!engine.quiet) emitQuery(engine, client, name, qtype, RCODE.SERVFAIL, "error", 0, false);
    return questionReply(query, questionEnd, edns, RCODE.SERVFAIL, { aa: false, tc: false, ra: true });
  }
  // Keep what the reply needs: the engine's ParsedQuery is reused by the next packet.
  const head = Buffer.from(query.subarray(0, questionEnd));
  const who: ClientInfo = { address: client.address, port: client.port, transport: client.transport };
  return forwarder
    .forward(query.subarray(0, q.messageEnd), questionEnd, !(budget < 0xffff))
    .then((result) => {
      if (!result) {
        if (!engine.quiet) emitQuery(engine, who, name, qtype, RCODE.SERVFAIL, "forward", 0, false);
        return questionReply(head, questionEnd, edns, RCODE.SERVFAIL, { aa: false, tc: false, ra: true });
      }
      engine.cache.store(key, result.bytes, result.message, engine.deps.now());
      const response = Buffer.from(result.bytes);
      // The client's ID and its exact question bytes go back.
      head.copy(response, 0, 0, 2);
      head.copy(response, HEADER_LENGTH, HEADER_LENGTH, questionEnd);
      const reply = relayedReply(response, head, questionEnd, edns, budget);
      if (!engine.quiet) {
        const truncated = (reply[2]! & 0x02) !== 0;
        const answers = truncated ? 0 : result.message.answers.length;
        emitQuery(engine, who, name, qtype, result.message.rcode, "forward", answers, truncated);
      }
      return reply;
    })
    .catch((error: unknown) => failed(engine, head, who, error));
}

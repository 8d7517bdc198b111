/**
 * The DNS decision core, without sockets: query bytes + client → reply bytes (or null for
 * silence, or a promise when the answer comes from an upstream). The fixed chain is
 * gate → authority → cache → forwarder, and every UDP response passes the rate limit (keyed by
 * what the response is) before it goes out. A thrown error becomes SERVFAIL plus a
 * `service.error` event; nothing escapes to the transport.
 */
import type { DnsSite, Upstream } from "../config/site.js";
import { type EventSink, NO_EVENTS } from "../observe/events.js";
import { type Authority, type CompiledAnswer, compileAuthority } from "./authority.js";
import { forwardAllowed } from "./client-address.js";
import { Forwarder } from "./forwarder.js";
import { LeaseAuthority } from "./lease-authority.js";
import type { LeaseNames } from "./lease-names.js";
import { answersText } from "./message-parser.js";
import { ParsedQuery, parseQuery, QueryStatus } from "./query-parser.js";
import { RateLimiter, ResponseClass } from "./rate-limiter.js";
import { compiledReply, headerOnlyReply, questionReply, relayedReply } from "./reply.js";
import { ResponseCache, serveCached } from "./response-cache.js";
import { type LimitedQuery, limitRelayed, limitResponse, responseClass } from "./response-limit.js";
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
      previous.limiter.forgetObjectKeys();
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
  answer: string | undefined = undefined,
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
    answer,
    truncated,
  });
}

function answer(engine: DnsEngine, query: Uint8Array, client: ClientInfo): AnswerResult {
  const q = engine.parsed;
  const status = parseQuery(query, q);
  if (status === QueryStatus.DROP) return null;
  const udp = client.transport === "udp";

  if (status !== QueryStatus.OK) {
    if (udp && engine.limiter.enabled) {
      const held = limitResponse(engine, client.address, limited(query, q, status), ResponseClass.ERROR, "");
      if (held !== undefined) return held;
    }
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
  let zoneKey: string | undefined;
  let found: CompiledAnswer | undefined = auth.answer(q);
  if (found === undefined) {
    zoneKey = closestZoneKey(auth, q);
    if (zoneKey !== undefined) found = auth.zoneNx.get(zoneKey);
  }
  if (found !== undefined) {
    if (udp && engine.limiter.enabled) {
      const cls = responseClass(found.rcode, found.ancount);
      // A kept answer stands for its qname and qtype, a zone's NXDOMAIN template for the zone.
      let name: string | object = "";
      if (cls === ResponseClass.ANSWER) name = found;
      else if (cls !== ResponseClass.ERROR) {
        zoneKey ??= closestZoneKey(auth, q) ?? "";
        name = cls === ResponseClass.NXDOMAIN ? (auth.zoneNx.get(zoneKey) ?? zoneKey) : zoneKey;
      }
      const held = limitResponse(engine, client.address, limited(query, q, status), cls, name);
      if (held !== undefined) return held;
    }
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
        truncated ? undefined : found.answerText,
      );
    }
    return reply;
  }

  if (!forwarding) return refused(engine, query, q, client, false);
  return forward(engine, query, q, client, budget);
}

/** The query as a slipped reply needs it (copied: the engine's ParsedQuery is reused). */
function limited(bytes: Uint8Array, q: ParsedQuery, status: QueryStatus): LimitedQuery {
  return { bytes, questionEnd: q.questionEnd, edns: q.edns, status };
}

function queryName(q: ParsedQuery): string {
  return wireToName(q.key, 0, q.nameLength);
}

/** Lowercase wire origin of the closest zone enclosing the qname, found by walking its label suffixes. */
function closestZoneKey(auth: Authority, q: ParsedQuery): string | undefined {
  if (auth.zoneCount === 0) return undefined;
  const key = q.key;
  let at = 0;
  while (at < q.nameLength) {
    const origin = key.toString("latin1", at, q.nameLength);
    if (auth.zoneNx.has(origin)) return origin;
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
): Buffer | null {
  if (client.transport === "udp" && engine.limiter.enabled) {
    const ok = limited(query, q, QueryStatus.OK);
    const held = limitResponse(engine, client.address, ok, ResponseClass.ERROR, "");
    if (held !== undefined) return held;
  }
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
  const questionKey = q.keyString(true);
  const key =
    questionKey +
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
  // Forwarded answers are limited by what they turn out to be (see limitRelayed).
  const limitAs =
    client.transport === "udp" && engine.limiter.enabled ? limited(query, q, QueryStatus.OK) : undefined;
  const cached = engine.cache.get(key, now);
  if (cached) {
    if (limitAs) {
      const { rcode, ancount } = cached;
      const held = limitRelayed(engine, client.address, limitAs, rcode, ancount, questionKey);
      if (held !== undefined) return held;
    }
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
        truncated ? undefined : cached.answerText,
      );
    }
    return reply;
  }
  if (forwarder.saturated) {
    const held = limitAs && limitResponse(engine, client.address, limitAs, ResponseClass.ERROR, "");
    if (held !== undefined) return held;
    if (!engine.quiet) emitQuery(engine, client, name, qtype, RCODE.SERVFAIL, "error", 0, false);
    return questionReply(query, questionEnd, edns, RCODE.SERVFAIL, { aa: false, tc: false, ra: true });
  }
  // Keep what the reply needs: the engine's ParsedQuery is reused by the next packet.
  const head = Buffer.from(query.subarray(0, questionEnd));
  const who: ClientInfo = { address: client.address, port: client.port, transport: client.transport };
  const limitLater = limitAs && { ...limitAs, bytes: head };
  return forwarder
    .forward(query.subarray(0, q.messageEnd), questionEnd, !(budget < 0xffff))
    .then((result) => {
      if (!result) {
        const held = limitLater && limitResponse(engine, who.address, limitLater, ResponseClass.ERROR, "");
        if (held !== undefined) return held;
        if (!engine.quiet) emitQuery(engine, who, name, qtype, RCODE.SERVFAIL, "forward", 0, false);
        return questionReply(head, questionEnd, edns, RCODE.SERVFAIL, { aa: false, tc: false, ra: true });
      }
      // The answers as text, for the event and the cache entry's later events; none when events are off.
      const text = engine.quiet ? undefined : answersText(result.bytes, result.message);
      engine.cache.store(key, result.bytes, result.message, engine.deps.now(), text);
      if (limitLater) {
        const { rcode, answers } = result.message;
        const held = limitRelayed(engine, who.address, limitLater, rcode, answers.length, questionKey);
        if (held !== undefined) return held;
      }
      const response = Buffer.from(result.bytes);
      // The client's ID and its exact question bytes go back.
      head.copy(response, 0, 0, 2);
      head.copy(response, HEADER_LENGTH, HEADER_LENGTH, questionEnd);
      const reply = relayedReply(response, head, questionEnd, edns, budget);
      if (!engine.quiet) {
        const truncated = (reply[2]! & 0x02) !== 0;
        const answers = truncated ? 0 : result.message.answers.length;
        emitQuery(
          engine,
          who,
          name,
          qtype,
          result.message.rcode,
          "forward",
          answers,
          truncated,
          truncated ? undefined : text,
        );
      }
      return reply;
    })
    .catch((error: unknown) => failed(engine, head, who, error));
}

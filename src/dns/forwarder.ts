/**
 * Relays queries for names outside the zones to the configured upstreams. Each attempt uses a
 * fresh UDP socket (a kernel-chosen random source port) and a new random ID; only a response from
 * the upstream's own address and port, with that ID and the same question, is accepted — anything
 * else is ignored until the timeout. Upstreams are tried in order; a timeout, an unparseable
 * response or SERVFAIL/REFUSED/NOTIMP/FORMERR moves on to the next one; when all fail the caller
 * answers SERVFAIL. A truncated UDP answer to a TCP client is retried over TCP.
 */

import dgram from "node:dgram";
import net from "node:net";
import type { Upstream } from "../config/site.js";
import { literalLookup } from "../net/udp-endpoint.js";
import { type ParsedMessage, parseMessage } from "./message-parser.js";
import { FLAG, HEADER_LENGTH, lowerAscii, MAX_UDP_PAYLOAD, RCODE } from "./wire.js";

/**
 * Query IDs come from the operating system's CSPRNG (an off-path attacker must not guess them).
 * node:crypto is loaded on the first forwarded query: a site that only serves its own zones does not
 * pay the ~10 ms it adds to start-up.
 */
function randomQueryId(): number {
  return process.getBuiltinModule("node:crypto").randomInt(0x10000);
}

export interface ForwardResult {
  readonly bytes: Buffer;
  readonly message: ParsedMessage;
  readonly upstream: Upstream;
}

export interface ForwarderOptions {
  readonly upstreams: readonly Upstream[];
  readonly timeoutMs: number;
  /** Queries relayed at the same time; beyond this the caller answers SERVFAIL at once. */
  readonly maxInFlight: number;
}

/** Case-insensitive comparison of the question sections of two messages (same layout expected). */
export function sameQuestion(a: Uint8Array, b: Uint8Array, questionEnd: number): boolean {
  if (a.length < questionEnd || b.length < questionEnd) return false;
  for (let i = HEADER_LENGTH; i < questionEnd; i++) {
    if (lowerAscii(a[i]!) !== lowerAscii(b[i]!)) return false;
  }
  return true;
}

export class Forwarder {
  #inFlight = 0;

  constructor(readonly options: ForwarderOptions) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  get saturated(): boolean {
    return this.#inFlight >= this.options.maxInFlight;
  }

  /**
   * Relays `query` (a parsed, valid query whose question ends at `questionEnd` and whose OPT, if
   * any, follows it). Resolves with the upstream's bytes (the client's ID not yet put back), or null
   * when every upstream failed.
   */
  async forward(query: Uint8Array, questionEnd: number, overTcp: boolean): Promise<ForwardResult | null> {
    this.#inFlight++;
    try {
      const relay = Buffer.from(query);
      // Ask upstreams for no more than we will send on: the OPT's payload size is capped.
      if (relay.length >= questionEnd + 11 && relay[questionEnd] === 0) {
        const size = relay.readUInt16BE(questionEnd + 3);
        if (size > MAX_UDP_PAYLOAD) relay.writeUInt16BE(MAX_UDP_PAYLOAD, questionEnd + 3);
      }
      for (const upstream of this.options.upstreams) {
        let reply = await this.#exchangeUdp(upstream, relay, questionEnd);
        if (reply && overTcp && reply[2]! & (FLAG.TC >> 8)) {
          reply = await this.#exchangeTcp(upstream, relay, questionEnd);
        }
        const message = reply ? acceptable(reply) : undefined;
        if (reply && message) return { bytes: reply, message, upstream };
      }
      return null;
    } finally {
      this.#inFlight--;
    }
  }

  #exchangeUdp(upstream: Upstream, relay: Buffer, questionEnd: number): Promise<Buffer | null> {
    const family = net.isIPv6(upstream.address) ? 6 : 4;
    const id = randomQueryId();
    relay.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const socket = dgram.createSocket({
        type: family === 6 ? "udp6" : "udp4",
        lookup: literalLookup as never,
      });
      let done = false;
      const finish = (value: Buffer | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.close();
        resolve(value);
      };
      const timer = setTimeout(() => finish(null), this.options.timeoutMs);
      socket.on("error", () => finish(null));
      socket.on("message", (msg, rinfo) => {
        // Spoofing defence: source address and port, ID and question must all match.
        if (rinfo.address !== upstream.address || rinfo.port !== upstream.port) return;
        if (msg.length < HEADER_LENGTH || msg.readUInt16BE(0) !== id || !(msg[2]! & 0x80)) return;
        if (!sameQuestion(msg, relay, questionEnd) || msg.readUInt16BE(4) !== 1) return;
        finish(msg);
      });
      socket.bind(0, family === 6 ? "::" : "0.0.0.0", () => {
        socket.send(relay, upstream.port, upstream.address, (err) => {
          if (err) finish(null);
        });
      });
    });
  }

  #exchangeTcp(upstream: Upstream, relay: Buffer, questionEnd: number): Promise<Buffer | null> {
    const id = randomQueryId();
    relay.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const socket = net.connect({ host: upstream.address, port: upstream.port });
      let buffered = Buffer.alloc(0);
      let done = false;
      const finish = (value: Buffer | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(value);
      };
      const timer = setTimeout(() => finish(null), this.options.timeoutMs);
      socket.on("error", () => finish(null));
      socket.on("close", () => finish(null));
      socket.on("connect", () => {
        const frame = Buffer.allocUnsafe(2 + relay.length);
        frame.writeUInt16BE(relay.length, 0);
        relay.copy(frame, 2);
        socket.write(frame);
      });
      socket.on("data", (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length > 2 + 0xffff) return finish(null);
        if (buffered.length < 2) return;
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) return;
        const msg = Buffer.from(buffered.subarray(2, 2 + len));
        if (
          msg.length < HEADER_LENGTH ||
          msg.readUInt16BE(0) !== id ||
          !sameQuestion(msg, relay, questionEnd)
        ) {
          return finish(null);
        }
        finish(msg);
      });
    });
  }
}

/** A response worth relaying: parseable, one question, and not an upstream failure. */
function acceptable(reply: Buffer): ParsedMessage | undefined {
  const parsed = parseMessage(reply);
  if (!parsed.ok) return undefined;
  const rcode = parsed.message.rcode;
  const failed =
    rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED || rcode === RCODE.NOTIMP || rcode === RCODE.FORMERR;
  return parsed.message.questions.length === 1 && !failed ? parsed.message : undefined;
}

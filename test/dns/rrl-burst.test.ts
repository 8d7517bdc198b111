/**
 * Response-rate limiting on real UDP sockets with the default settings of config/site.yaml:
 * 500 phones of one /24 (127.0.0.2-251, two phones per address) all running the CX700 sign-in
 * sequence at once lose no answer to the limiter, while one client flooding one name is limited
 * with slips and still gets its answer over TCP.
 */
import dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSite } from "../../src/config/load.js";
import { DnsService } from "../../src/dns/dns-service.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { TYPE } from "../../src/dns/wire.js";
import { RecordingSink } from "../../src/observe/events.js";
import { dig } from "./dig.js";
import { decodeReply, EXAMPLE_SITE, exampleSite } from "./site-fixture.js";

/** The CX700 sign-in sequence of the deployment guide: name, type, rcode, answer count. */
const SIGN_IN: readonly [string, number, string, number][] = [
  ["time.windows.com", TYPE.A, "NOERROR", 1], // ntp.isolatedLab in the example
  ["time.windows.com.contoso.com", TYPE.A, "NXDOMAIN", 0],
  ["_ntp._udp.fabrikam.com", TYPE.SRV, "NOERROR", 1],
  ["dc01.contoso.com", TYPE.A, "NOERROR", 1],
  ["_sipinternaltls._tcp.fabrikam.com", TYPE.SRV, "NOERROR", 1],
  ["pool01.contoso.com", TYPE.A, "NOERROR", 1],
  ["_sipinternal._tcp.fabrikam.com", TYPE.SRV, "NXDOMAIN", 0],
  ["_sipinternal._tcp.fabrikam.com.contoso.com", TYPE.SRV, "NXDOMAIN", 0],
  ["_sip._tls.fabrikam.com", TYPE.SRV, "NOERROR", 1],
  ["_sip._tls.fabrikam.com.contoso.com", TYPE.SRV, "NXDOMAIN", 0],
  ["_sip._tcp.fabrikam.com", TYPE.SRV, "NXDOMAIN", 0],
  ["_sip._tcp.fabrikam.com.contoso.com", TYPE.SRV, "NXDOMAIN", 0],
  ["sip.fabrikam.com", TYPE.A, "NOERROR", 1],
  ["_ldap._tcp.dc._msdcs.contoso.com", TYPE.SRV, "NOERROR", 1],
  ["contoso.com", TYPE.A, "NOERROR", 1],
  ["autodiscover.fabrikam.com", TYPE.A, "NOERROR", 1],
  ["ucupdates-r2.contoso.com", TYPE.A, "NOERROR", 1],
];

const PHONES = 500;
const ADDRESSES = 250;
/** A phone's stub resolver: wait this long for a reply, then send the query again (at most TRIES). */
const RETRY_MS = 800;
const TRIES = 4;
const BURST_DEADLINE_MS = 25_000;

const events = new RecordingSink();
let service: DnsService;
let port: number;

beforeAll(async () => {
  const loaded = await loadSite(EXAMPLE_SITE);
  if (!loaded.ok) throw new Error("config/site.yaml did not load");
  // The shipped example sets no rateLimit: these are the defaults every site gets.
  expect(loaded.site.dns.rateLimit.responsesPerSecond).toBeGreaterThan(0);
  service = new DnsService(await exampleSite({ rateLimit: loaded.site.dns.rateLimit }), { events });
  await service.start();
  port = service.addresses().udp[0]!.port;
});

afterAll(async () => {
  await service?.stop();
});

interface Outcome {
  readonly name: string;
  readonly rcode: string;
  readonly answers: number;
  readonly truncated: boolean;
  readonly tries: number;
}

/** One phone: its own socket, the sequence in order, each query retried like a stub resolver. */
async function phone(index: number): Promise<Outcome[]> {
  const socket = dgram.createSocket("udp4");
  const waiting = new Map<number, (reply: Buffer) => void>();
  socket.on("message", (m) => waiting.get(m.readUInt16BE(0))?.(m));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, `127.0.0.${2 + (index % ADDRESSES)}`, () => resolve());
  });
  const outcomes: Outcome[] = [];
  try {
    for (const [step, [name, type]] of SIGN_IN.entries()) {
      const id = (index * SIGN_IN.length + step) & 0xffff;
      const query = encodeQuery({ name, type, id, edns: {} });
      let reply: Buffer | undefined;
      let tries = 0;
      while (reply === undefined && tries < TRIES) {
        tries++;
        reply = await new Promise<Buffer | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), RETRY_MS);
          waiting.set(id, (m) => {
            clearTimeout(timer);
            resolve(m);
          });
          socket.send(query, port, "127.0.0.1");
        });
      }
      waiting.delete(id);
      if (reply === undefined) {
        outcomes.push({ name, rcode: "no reply", answers: 0, truncated: false, tries });
        continue;
      }
      const d = decodeReply(reply);
      outcomes.push({
        name,
        rcode: d.rcode,
        answers: d.answer.length,
        truncated: d.flags.includes("tc"),
        tries,
      });
    }
  } finally {
    socket.close();
  }
  return outcomes;
}

describe("RRL defaults on real UDP", () => {
  it(`a sign-in burst of ${PHONES} phones from one /24 gets every answer in full`, async () => {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("sign-in burst over its deadline")), BURST_DEADLINE_MS);
    });
    const all = await Promise.race([
      Promise.all(Array.from({ length: PHONES }, (_, i) => phone(i))),
      deadline,
    ]).finally(() => clearTimeout(timer));
    const elapsed = Date.now() - started;
    const outcomes = all.flat();
    expect(outcomes).toHaveLength(PHONES * SIGN_IN.length);

    const wrong = outcomes.filter((o, i) => {
      const [, , rcode, answers] = SIGN_IN[i % SIGN_IN.length]!;
      return o.rcode !== rcode || o.answers !== answers || o.truncated;
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    // Not one response was held back by the limiter (a retransmission can only follow a kernel
    // buffer drop, which the limiter never sees).
    expect(events.events.filter((e) => e.type === "dns.rate-limited")).toHaveLength(0);
    const retried = outcomes.filter((o) => o.tries > 1).length;
    console.info(
      `${PHONES} phones × ${SIGN_IN.length} queries in ${elapsed} ms, ${retried} retransmitted after a kernel drop`,
    );
    // Each phone has at most one query outstanding, so the socket's receive queue holds the whole
    // burst: no phone waits for a retry (the kernel's default queue dropped about half the first wave).
    expect(retried).toBe(0);
  });

  it("limits one client flooding one name: the rate plus refill answered, every 2nd limited reply slipped", async () => {
    const flood = dgram.createSocket("udp4");
    const replies: Buffer[] = [];
    flood.on("message", (m) => replies.push(m));
    await new Promise<void>((r) => flood.bind(0, "127.0.0.1", () => r()));
    flood.setRecvBufferSize(4 * 1024 * 1024);
    const before = events.events.length;
    const rate = (await loadSite(EXAMPLE_SITE).then((l) => (l.ok ? l.site.dns.rateLimit : undefined)))!
      .responsesPerSecond;
    // A name the sign-in burst above did not ask, so its bucket starts full.
    const query = encodeQuery({ name: "prov.contoso.com", edns: {} });
    const sent = rate * 4;
    const started = Date.now();
    try {
      // In batches so the in-process server reads them rather than the kernel dropping them.
      for (let i = 0; i < sent; i += 50) {
        for (let j = i; j < i + 50; j++) flood.send(query, port, "127.0.0.1");
        await new Promise((r) => setImmediate(r));
      }
      const elapsed = Date.now() - started;
      await new Promise((r) => setTimeout(r, 300));
      const seen = events.events.slice(before);
      const answered = seen.filter((e) => e.type === "dns.query" && e.name === "prov.contoso.com").length;
      const limited = seen.flatMap((e) => (e.type === "dns.rate-limited" ? [e.action] : []));
      const slips = limited.filter((a) => a === "slip").length;
      // One second of burst plus the refill while the flood lasted, never more.
      expect(answered).toBeGreaterThanOrEqual(rate);
      expect(answered).toBeLessThanOrEqual(rate + (rate * (elapsed + 300)) / 1000 + 1);
      expect(limited.length).toBeGreaterThan(rate);
      expect(slips).toBe(Math.floor(limited.length / 2));
      const decoded = replies.map(decodeReply);
      expect(decoded.filter((d) => d.flags.includes("tc") && d.answer.length === 0).length).toBe(slips);
      expect(decoded.filter((d) => !d.flags.includes("tc"))).toHaveLength(answered);
      // The bucket is empty, yet TCP is never limited.
      expect((await dig("dig", port, "prov.contoso.com", "A", ["+tcp"])).answer).toHaveLength(1);
    } finally {
      flood.close();
    }
  });
});

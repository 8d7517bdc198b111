/**
 * Response-rate limiting through answerQuery with a fake clock: what counts as "the same response"
 * (client network + class + qname/qtype, zone for NXDOMAIN and NODATA, nothing for errors), per-class
 * rates, refill, slipped replies, and TCP never limited.
 */
import { describe, expect, it } from "vitest";
import type { DnsSite } from "../../src/config/site.js";
import { answerQuery, type ClientInfo, createEngine } from "../../src/dns/engine.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { TYPE } from "../../src/dns/wire.js";
import { RecordingSink } from "../../src/observe/events.js";
import { decodeReply, edgeZone, exampleSite } from "./site-fixture.js";

const udp = (address: string): ClientInfo => ({ address, port: 40_000, transport: "udp" });
const PHONE = udp("198.51.100.21");

async function limitedEngine(rateLimit: DnsSite["rateLimit"]) {
  const clock = { now: 1_000_000 };
  const events = new RecordingSink();
  const engine = createEngine((await exampleSite({ rateLimit })).dns, { events, now: () => clock.now });
  /** How many of `count` identical queries got their real (non-truncated) reply. */
  const served = (name: string, type: number = TYPE.A, client = PHONE, count = 10): number => {
    let full = 0;
    for (let i = 0; i < count; i++) {
      const out = answerQuery(engine, encodeQuery({ name, type, id: i }), client) as Buffer | null;
      if (out !== null && !(out[2]! & 0x02)) full++;
    }
    return full;
  };
  return { engine, clock, events, served };
}

describe("RRL keying through the engine", () => {
  it("limits identical answers per qname and qtype, not per client network", async () => {
    const { served } = await limitedEngine({ responsesPerSecond: 3, slip: 0 });
    expect(served("sip.fabrikam.com")).toBe(3);
    // Other names, or another type of the same name, each have their own allowance.
    expect(served("pool01.contoso.com")).toBe(3);
    expect(served("_sipinternaltls._tcp.fabrikam.com", TYPE.SRV)).toBe(3);
    expect(served("ucupdates-r2.contoso.com")).toBe(3);
    // 0x20 mixed case is the same name; another host of the same /24 shares; another /24 does not.
    expect(served("SIP.Fabrikam.COM", TYPE.A, udp("198.51.100.200"), 1)).toBe(0);
    expect(served("sip.fabrikam.com", TYPE.A, udp("203.0.113.5"))).toBe(3);
  });

  it("counts NXDOMAIN per zone whatever the qname, NODATA per zone, errors per client network", async () => {
    const { served, engine } = await limitedEngine({
      responsesPerSecond: 100,
      nxdomainsPerSecond: 4,
      nodataPerSecond: 2,
      errorsPerSecond: 3,
      slip: 0,
    });
    // Four NXDOMAINs in contoso.com, spread over different made-up names, then that zone is limited.
    const contosoNx = ["a", "b", "c", "d", "e", "f"].map((l) =>
      served(`${l}.nx.contoso.com`, TYPE.A, PHONE, 1),
    );
    expect(contosoNx).toEqual([1, 1, 1, 1, 0, 0]);
    // fabrikam.com's NXDOMAINs are another bucket; the positive answers are untouched.
    expect(served("_sipinternal._tcp.fabrikam.com", TYPE.SRV)).toBe(4);
    expect(served("sip.fabrikam.com")).toBe(10);
    // NODATA: an empty non-terminal and a missing type at an existing name share fabrikam.com's.
    expect(
      served("_tcp.fabrikam.com", TYPE.SRV, PHONE, 1) + served("sip.fabrikam.com", TYPE.AAAA, PHONE, 3),
    ).toBe(2);
    expect(served("dc01.contoso.com", TYPE.AAAA)).toBe(2);
    // REFUSED (outside the zones, no forwarding), class CH and FORMERR share one error bucket.
    expect(served("www.example.net", TYPE.A, PHONE, 2)).toBe(2);
    const chaos = encodeQuery({ name: "version.bind", type: TYPE.TXT, class: 3 });
    const formerr = encodeQuery({ name: "sip.fabrikam.com" });
    formerr.writeUInt16BE(2, 4);
    const answered = [chaos, formerr, chaos].map((q) => answerQuery(engine, q, PHONE) !== null);
    expect(answered).toEqual([true, false, false]);
  });

  it("at a CNAME alias, types no record has share the one chain answer they get", async () => {
    const site = await exampleSite({ rateLimit: { responsesPerSecond: 2, slip: 0 } }, [edgeZone()]);
    const engine = createEngine(site.dns, { now: () => 0 });
    const full = (type: number) =>
      answerQuery(engine, encodeQuery({ name: "alias.edge.test", type }), PHONE) !== null;
    expect([TYPE.A, TYPE.A, TYPE.A, TYPE.AAAA].map(full)).toEqual([true, true, false, true]);
    // TYPE65 and TYPE99 exist nowhere in the zones: the same answer, one allowance.
    expect([65, 99, 65].map(full)).toEqual([true, true, false]);
  });

  it("refills at the rate on the engine's clock", async () => {
    const { served, clock } = await limitedEngine({ responsesPerSecond: 4, slip: 0 });
    expect(served("sip.fabrikam.com")).toBe(4);
    clock.now += 500;
    expect(served("sip.fabrikam.com")).toBe(2);
    clock.now += 10_000;
    expect(served("sip.fabrikam.com")).toBe(4);
  });

  it("slips a truncated reply with the question only; reports each limited response", async () => {
    const { engine, events } = await limitedEngine({
      responsesPerSecond: 100,
      nxdomainsPerSecond: 1,
      slip: 2,
    });
    const ask = () =>
      answerQuery(engine, encodeQuery({ name: "nothing.contoso.com", edns: {} }), PHONE) as Buffer | null;
    const first = decodeReply(ask()!);
    expect([first.rcode, first.flags.includes("tc"), first.authority.length]).toEqual(["NXDOMAIN", false, 1]);
    expect(ask()).toBeNull();
    const slipped = decodeReply(ask()!);
    expect(slipped.flags.split(" ")).toContain("tc");
    expect([slipped.question, slipped.answer, slipped.authority, slipped.opt?.udpSize]).toEqual([
      "nothing.contoso.com. A",
      [],
      [],
      1232,
    ]);
    const limited = events.events.filter((e) => e.type === "dns.rate-limited");
    expect(limited.map((e) => (e.type === "dns.rate-limited" ? e.action : ""))).toEqual(["drop", "slip"]);
  });

  it("a reload keeps the limiter, forgetting the buckets of the answers it replaced", async () => {
    const { engine, served } = await limitedEngine({ responsesPerSecond: 2, slip: 0 });
    expect(served("sip.fabrikam.com")).toBe(2);
    expect(served("x.nx.contoso.com")).toBe(2);
    expect(engine.limiter.size).toBe(2);
    const next = createEngine(engine.dns, engine.deps, engine);
    expect(next.limiter).toBe(engine.limiter);
    expect(next.limiter.size).toBe(0);
  });

  it("never limits TCP", async () => {
    const { served } = await limitedEngine({ responsesPerSecond: 1, slip: 0 });
    expect(
      served("sip.fabrikam.com", TYPE.A, { address: "198.51.100.21", port: 1, transport: "tcp" }, 50),
    ).toBe(50);
  });

  it("is off with responsesPerSecond 0, whatever the other rates", async () => {
    const { served, engine } = await limitedEngine({ responsesPerSecond: 0, nxdomainsPerSecond: 1, slip: 2 });
    expect(served("x.nx.contoso.com", TYPE.A, PHONE, 50)).toBe(50);
    expect(engine.limiter.size).toBe(0);
  });
});

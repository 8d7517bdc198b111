/** The hot-path gate through answerQuery: drop, NOTIMP, FORMERR, BADVERS, and errors → SERVFAIL. */
import { beforeAll, describe, expect, it } from "vitest";
import { answerQuery, createEngine, type DnsEngine } from "../../src/dns/engine.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { RecordingSink } from "../../src/observe/events.js";
import { decodeReply, exampleSite } from "./site-fixture.js";

let engine: DnsEngine;
const events = new RecordingSink();
const client = { address: "127.0.0.1", port: 5555, transport: "udp" as const };

beforeAll(async () => {
  engine = createEngine((await exampleSite()).dns, { events });
});

const reply = (b: Buffer) => answerQuery(engine, b, client) as Buffer | null;

describe("gate", () => {
  it("drops responses and runts", () => {
    const r = encodeQuery({ name: "sip.fabrikam.com" });
    r[2] = r[2]! | 0x80;
    expect(reply(r)).toBeNull();
    expect(reply(Buffer.alloc(11))).toBeNull();
  });

  it("NOTIMP for other opcodes, header only, opcode echoed", () => {
    const out = reply(encodeQuery({ name: "sip.fabrikam.com", opcode: 4, id: 77 }))!;
    expect(out.length).toBe(12);
    expect(out.readUInt16BE(0)).toBe(77);
    expect((out[2]! >> 3) & 0xf).toBe(4);
    expect(out[3]! & 0xf).toBe(4);
  });

  it("FORMERR for bad counts and compressed questions", () => {
    const two = encodeQuery({ name: "sip.fabrikam.com" });
    two.writeUInt16BE(2, 4);
    expect(decodeReply(reply(two)!).rcode).toBe("FORMERR");
    const ptr = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(decodeReply(reply(ptr)!).rcode).toBe("FORMERR");
  });

  it("BADVERS carries the question and an OPT with extended RCODE 1", () => {
    const d = decodeReply(reply(encodeQuery({ name: "sip.fabrikam.com", edns: { version: 2 } }))!);
    expect(d.rcode).toBe("BADVERS");
    expect(d.opt).toEqual({ udpSize: 1232, version: 0, extendedRcode: 1 });
    expect(d.question).toBe("sip.fabrikam.com. A");
  });

  it("turns a thrown error into SERVFAIL and a service.error event", () => {
    const broken = createEngine(engine.dns, { events });
    broken.authority.answer = () => {
      throw new Error("boom");
    };
    const out = answerQuery(broken, encodeQuery({ name: "sip.fabrikam.com", id: 9 }), client) as Buffer;
    expect(decodeReply(out)).toMatchObject({ id: 9, rcode: "SERVFAIL" });
    expect(events.events.at(-2)).toMatchObject({ type: "service.error", service: "dns" });
    expect(String((events.events.at(-2) as { message: string }).message)).toContain("boom");
  });
});

/** 20,000 malformed datagrams, then the server must still answer correctly and have raised no error. */
import dgram from "node:dgram";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DnsService } from "../../src/dns/dns-service.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { RecordingSink } from "../../src/observe/events.js";
import { dig } from "./dig.js";
import { exampleSite } from "./site-fixture.js";

let service: DnsService;
let port: number;
const events = new RecordingSink();

beforeAll(async () => {
  service = new DnsService(await exampleSite(), { events });
  await service.start();
  port = service.addresses().udp[0]!.port;
});
afterAll(async () => service?.stop());

function malformed(seed: number, count: number): Buffer[] {
  const valid = [
    encodeQuery({ name: "sip.fabrikam.com", type: 1 }),
    encodeQuery({ name: "_sipinternaltls._tcp.fabrikam.com", type: 33, edns: { udpSize: 4096 } }),
    encodeQuery({ name: "x.contoso.com", type: 28, edns: {} }),
  ];
  const mutated = fc
    .tuple(
      fc.constantFrom(...valid),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 5 }),
      fc.nat(),
    )
    .map(([base, flips, cut]) => {
      const b = Buffer.from(base);
      for (const [at, v] of flips) b[at % b.length] = v;
      return b.subarray(0, 1 + (cut % b.length));
    });
  const random = fc.uint8Array({ minLength: 0, maxLength: 512 }).map((u) => Buffer.from(u));
  const bombs = fc.constantFrom(
    Buffer.from([0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]),
    Buffer.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]),
  );
  return fc.sample(fc.oneof(mutated, random, bombs), { seed, numRuns: count });
}

describe("barrage", () => {
  it("survives 20,000 malformed datagrams and still answers", async () => {
    const socket = dgram.createSocket("udp4");
    let replies = 0;
    socket.on("message", () => replies++);
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    const packets = malformed(20_250_601, 20_000);
    for (let i = 0; i < packets.length; i += 200) {
      await Promise.all(
        packets
          .slice(i, i + 200)
          .map((p) => new Promise<void>((r) => socket.send(p, port, "127.0.0.1", () => r()))),
      );
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 200));
    socket.close();
    expect(replies).toBeGreaterThan(0);
    expect(events.events.filter((e) => e.type === "service.error")).toEqual([]);
    const r = await dig("dig", port, "_sipinternaltls._tcp.fabrikam.com", "SRV");
    expect(r.answer).toEqual(["_sipinternaltls._tcp.fabrikam.com. 3600 SRV 0 0 5061 pool01.contoso.com."]);
  });
});

/** TCP framing and connection limits, with a raw net client on 127.0.0.1. */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DnsService } from "../../src/dns/dns-service.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { NO_EVENTS } from "../../src/observe/events.js";
import { decodeReply, exampleSite } from "./site-fixture.js";

let service: DnsService;
let port: number;

beforeAll(async () => {
  service = new DnsService(await exampleSite({ tcp: { idleTimeoutMs: 400, maxConnections: 3 } }), {
    events: NO_EVENTS,
  });
  await service.start();
  port = service.addresses().tcp[0]!.port;
});
afterAll(async () => service?.stop());

const frame = (msg: Buffer) => Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]);

/** Connects and collects framed replies until `count` arrive or the server closes. */
function connect(): Promise<{
  socket: net.Socket;
  replies: Buffer[];
  closed: Promise<void>;
  wait: (n: number) => Promise<Buffer[]>;
}> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const replies: Buffer[] = [];
    let buffered = Buffer.alloc(0);
    const waiters: (() => void)[] = [];
    const closed = new Promise<void>((r) => socket.on("close", () => r()));
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      }
      for (const w of waiters.splice(0)) w();
    });
    socket.on("error", () => {});
    const wait = (n: number) =>
      new Promise<Buffer[]>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`only ${replies.length} of ${n} replies`)), 3000);
        const check = () => {
          if (replies.length >= n) {
            clearTimeout(timer);
            res(replies);
          } else waiters.push(check);
        };
        check();
      });
    socket.once("connect", () => resolve({ socket, replies, closed, wait }));
    socket.once("error", reject);
  });
}

describe("DNS over TCP", () => {
  it("reassembles a message sent one octet at a time", async () => {
    const c = await connect();
    const bytes = frame(encodeQuery({ name: "pool01.contoso.com", id: 11 }));
    for (const b of bytes) {
      c.socket.write(Buffer.from([b]));
      await new Promise((r) => setTimeout(r, 1));
    }
    const [reply] = await c.wait(1);
    expect(decodeReply(reply!).answer).toEqual(["pool01.contoso.com. 3600 A 198.51.100.20"]);
    c.socket.destroy();
  });

  it("answers pipelined queries from one write, in order", async () => {
    const c = await connect();
    const names = ["sip.fabrikam.com", "dc01.contoso.com", "nope.contoso.com"];
    c.socket.write(Buffer.concat(names.map((name, i) => frame(encodeQuery({ name, id: 100 + i })))));
    const replies = (await c.wait(3)).map(decodeReply);
    expect(replies.map((r) => [r.id, r.rcode])).toEqual([
      [100, "NOERROR"],
      [101, "NOERROR"],
      [102, "NXDOMAIN"],
    ]);
    c.socket.destroy();
  });

  it("closes only the connection that sent a bad frame", async () => {
    const good = await connect();
    const bad = await connect();
    bad.socket.write(frame(Buffer.from([1, 2, 3, 4, 5])));
    await bad.closed;
    good.socket.write(frame(encodeQuery({ name: "contoso.com", id: 5 })));
    expect(decodeReply((await good.wait(1))[0]!).answer).toHaveLength(1);
    good.socket.destroy();
  });

  it("closes idle connections after the idle timeout", async () => {
    const c = await connect();
    const start = Date.now();
    await c.closed;
    const waited = Date.now() - start;
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(2000);
  });

  it("caps the number of connections", async () => {
    const conns = await Promise.all([connect(), connect(), connect()]);
    const extra = await connect();
    await extra.closed; // refused by maxConnections: closed at once, no answer
    expect(extra.replies).toHaveLength(0);
    conns[0]!.socket.write(frame(encodeQuery({ name: "contoso.com", id: 6 })));
    expect(await conns[0]!.wait(1)).toHaveLength(1);
    for (const c of conns) c.socket.destroy();
  });
});

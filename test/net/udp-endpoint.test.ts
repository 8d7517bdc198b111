/**
 * The endpoint DNS and NTP share, on both edges: a datagram whose handler throws is reported and
 * skipped while the rest of its batch is answered, even when the reporter throws too; replies
 * completed later go out when they settle, and not after close.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type DatagramHandler, openUdpEndpoint, type UdpEndpoint } from "../../src/net/udp-endpoint.js";
import { QueuedSender } from "./queued-sender.js";

const saved = process.env.SITEBOOT_UDP_EDGE;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  if (saved === undefined) delete process.env.SITEBOOT_UDP_EDGE;
  else process.env.SITEBOOT_UDP_EDGE = saved;
});

const OPTIONS = {
  slotBytes: 512,
  dropTruncated: true,
  ipv6Only: true,
  receiveBufferBytes: 0,
  bindError: (_a: string, _p: number, error: Error) => error,
};

/** Echoes each datagram upper-cased; "boom" throws, "later" answers after 50 ms. */
async function echo(
  onError: (error: Error) => void,
): Promise<{ endpoint: UdpEndpoint; client: QueuedSender }> {
  const handler: DatagramHandler = {
    datagram(payload) {
      const text = payload.toString();
      if (text === "boom") throw new Error("handler failed on boom");
      const reply = Buffer.from(text.toUpperCase());
      if (text.startsWith("later")) return new Promise((r) => setTimeout(() => r(reply), 50));
      return reply;
    },
  };
  const endpoint = await openUdpEndpoint("127.0.0.1", 0, OPTIONS, handler, onError);
  const client = new QueuedSender("127.0.0.1");
  cleanups.push(
    () => client.close(),
    () => endpoint.close(),
  );
  return { endpoint, client };
}

describe.each(["native", "dgram"])("the UDP endpoint on the %s edge", (edge) => {
  it("answers the rest of a batch around a datagram whose handler throws, and reports it", async () => {
    process.env.SITEBOOT_UDP_EDGE = edge;
    const errors: string[] = [];
    const { endpoint, client } = await echo((e) => errors.push(e.message));
    for (const text of ["one", "boom", "two"]) client.send(Buffer.from(text), endpoint.port);
    await client.until(2);
    await new Promise((r) => setTimeout(r, 30));
    expect(client.replies.map(String).sort()).toEqual(["ONE", "TWO"]);
    expect(errors).toEqual(["handler failed on boom"]);
  });

  it("keeps serving when the error reporter itself throws", async () => {
    process.env.SITEBOOT_UDP_EDGE = edge;
    const { endpoint, client } = await echo(() => {
      throw new Error("reporter down");
    });
    for (const text of ["boom", "three"]) client.send(Buffer.from(text), endpoint.port);
    await client.until(1);
    client.send(Buffer.from("four"), endpoint.port);
    await client.until(2);
    expect(client.replies.map(String)).toEqual(["THREE", "FOUR"]);
  });

  it("sends a reply completed later when it settles, and none once closed", async () => {
    process.env.SITEBOOT_UDP_EDGE = edge;
    const errors: string[] = [];
    const { endpoint, client } = await echo((e) => errors.push(e.message));
    client.send(Buffer.from("later-1"), endpoint.port);
    await client.until(1);
    expect(client.replies.map(String)).toEqual(["LATER-1"]);
    client.send(Buffer.from("later-2"), endpoint.port);
    await new Promise((r) => setTimeout(r, 20));
    await endpoint.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(client.replies.map(String)).toEqual(["LATER-1"]);
    expect(errors).toEqual([]);
  });
});

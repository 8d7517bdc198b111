/**
 * The C load generator (test/bench/ntp-load.c), built with cc and run for a tiny bounded load
 * against a loopback responder in this test that answers in NTP form, well or badly on purpose.
 */
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { offer } from "./ntp.bench.js";

type Behaviour = "answer" | "every-other" | "twice" | "wrong-origin" | "kod" | "client-mode";

/** A responder on 127.0.0.1 that counts what it got and what it answered. */
async function responder(
  behaviour: Behaviour,
): Promise<{ socket: Socket; port: number; got: () => number; answered: () => number }> {
  const socket = createSocket("udp4");
  let got = 0;
  let answered = 0;
  socket.on("message", (request, from) => {
    got++;
    if (behaviour === "every-other" && got % 2 === 0) return;
    const reply = Buffer.alloc(48);
    reply[0] = behaviour === "client-mode" ? 0x23 : 0x24; // version 4, mode 4 (or 3)
    reply[1] = behaviour === "kod" ? 0 : 10; // stratum
    request.copy(reply, 24, 40, 48); // origin = the request's transmit timestamp
    if (behaviour === "wrong-origin") reply[31] = reply[31]! ^ 1;
    const copies = behaviour === "twice" ? 2 : 1;
    for (let i = 0; i < copies; i++) socket.send(reply, from.port, from.address);
    answered++;
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  socket.setRecvBufferSize(4 * 1024 * 1024);
  return { socket, port: socket.address().port, got: () => got, answered: () => answered };
}

describe("ntp-load", () => {
  let open: Socket | undefined;
  afterEach(() => {
    open?.close();
    open = undefined;
  });

  /** 2 000/s for 0.5 s from 2 threads: 1 000 requests, far below what loopback loses. */
  async function against(behaviour: Behaviour) {
    const r = await responder(behaviour);
    open = r.socket;
    const result = await offer(r.port, 2_000, 0.5, 2);
    return { result, got: r.got(), answered: r.answered() };
  }

  it("sends the offered load and counts every valid reply once", async () => {
    const { result, got, answered } = await against("answer");
    expect(result.sent).toBeGreaterThanOrEqual(950);
    expect(result.sent).toBeLessThanOrEqual(1_000);
    expect(got).toBe(result.sent);
    expect(result.received).toBe(answered);
    expect(result).toMatchObject({ invalid: 0, duplicate: 0, kod: 0, errors: 0, seconds: 0.5 });
  }, 20_000);

  it("counts only the requests that were answered", async () => {
    const { result, answered } = await against("every-other");
    expect(answered).toBeLessThan(result.sent * 0.6);
    expect(result.received).toBe(answered);
  }, 20_000);

  it("counts a second reply to the same request as a duplicate, not a reply", async () => {
    const { result, answered } = await against("twice");
    expect(result.received).toBe(answered);
    expect(result.duplicate).toBe(answered);
  }, 20_000);

  it("refuses replies whose origin is not what was sent, client-mode replies and KoDs", async () => {
    const wrong = await against("wrong-origin");
    expect(wrong.result.received).toBe(0);
    expect(wrong.result.invalid).toBe(wrong.answered);
    open?.close();
    const client = await against("client-mode");
    expect(client.result.received).toBe(0);
    expect(client.result.invalid).toBe(client.answered);
    open?.close();
    const kod = await against("kod");
    expect(kod.result.received).toBe(0);
    expect(kod.result.kod).toBe(kod.answered);
  }, 30_000);

  it("counts refused sends as errors when nothing listens", async () => {
    const r = await responder("answer");
    const { port } = r;
    r.socket.close();
    const result = await offer(port, 2_000, 0.3, 1);
    expect(result.received).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
  }, 20_000);
});

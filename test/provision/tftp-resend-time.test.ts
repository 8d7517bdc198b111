import dgram from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDgram } from "../../src/net/close-dgram.js";
import { decodeTftp, encodeAck, encodeRequest } from "../../src/provision/tftp-packet.js";
import { TftpServer } from "../../src/provision/tftp-server.js";
import { provisioningFixture } from "./fixture.js";

const fx = provisioningFixture();
const server = new TftpServer({ catalog: fx.catalog, onFetch: () => {}, onError: () => {} });

beforeAll(async () => {
  writeFileSync(join(fx.root, "firmware", "resend.bin"), Buffer.alloc(5000, 7));
  await server.listen(["127.0.0.1"], 0);
});
afterAll(async () => {
  await server.close();
  fx.cleanup();
});

describe("TFTP retransmission time", () => {
  it("sends a window again one timeout after its last send, not after the first one", async () => {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const arrivals: { block: number; at: number }[] = [];
    let tid = 0;
    socket.on("message", (message, from) => {
      const d = decodeTftp(message);
      if (!d.ok) return;
      if (d.packet.op === "OACK") {
        tid = from.port;
        socket.send(encodeAck(0), tid, "127.0.0.1");
      } else if (d.packet.op === "DATA") arrivals.push({ block: d.packet.block, at: Date.now() });
    });
    try {
      const options = new Map([["timeout", "1"]]);
      socket.send(
        encodeRequest("RRQ", "firmware/resend.bin", "octet", options),
        server.port() as number,
        "127.0.0.1",
      );
      await until(() => arrivals.length > 0);
      // Block 2 is sent well inside the first timeout, then nothing is acknowledged any more.
      await new Promise((r) => setTimeout(r, 600));
      const acked = Date.now();
      socket.send(encodeAck(1), tid, "127.0.0.1");
      await until(() => arrivals.filter((a) => a.block === 2).length >= 2);
      const block2 = arrivals.filter((a) => a.block === 2).map((a) => a.at);
      const first = block2[0] ?? Number.NaN;
      const again = block2[1] ?? Number.NaN;
      expect(first - acked).toBeLessThan(500);
      // One timeout (1 s) after block 2 went out; not ~400 ms after, when the timer armed for the
      // OACK runs out. A timer's clock may run a few milliseconds early against Date.now().
      expect(again - first).toBeGreaterThanOrEqual(980);
      expect(again - first).toBeLessThan(2500);
    } finally {
      await closeDgram(socket);
    }
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!done()) throw new Error("timed out waiting");
}

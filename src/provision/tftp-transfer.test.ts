import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { negotiate } from "./tftp-options.js";
import { decodeTftp, encodeAck, encodeError, type TftpPacket } from "./tftp-packet.js";
import { bytesSource, type Step, TftpReadTransfer } from "./tftp-transfer.js";

const ack = (block: number): TftpPacket => ({ op: "ACK", block: block & 0xffff });

function transfer(data: Uint8Array, options: Record<string, string> = {}, maxRetries = 3) {
  const n = negotiate(new Map(Object.entries(options)), data.length, {
    maxBlockSize: 65464,
    maxWindowSize: 64,
    timeoutMs: 1000,
  });
  return new TftpReadTransfer(bytesSource(data), { ...n, maxRetries });
}

function decoded(step: Step): TftpPacket[] {
  return step.send.map((b) => {
    const d = decodeTftp(b);
    if (!d.ok) throw new Error(d.error);
    return d.packet;
  });
}

function blocksOf(step: Step): number[] {
  return decoded(step).map((p) => (p.op === "DATA" ? p.block : -1));
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

describe("TFTP read transfer", () => {
  it("sends 512-byte blocks in lock-step and ends with a short (here empty) block", () => {
    const t = transfer(pattern(1024));
    expect(blocksOf(t.start(0))).toEqual([1]);
    expect(blocksOf(t.onPacket(ack(1), 10))).toEqual([2]);
    const last = decoded(t.onPacket(ack(2), 20));
    expect(last.map((p) => p.op === "DATA" && [p.block, p.data.length])).toEqual([[3, 0]]);
    expect(t.onPacket(ack(3), 30)).toEqual({ send: [], done: { result: "complete" } });
  });

  it("sends an OACK first when options were agreed and starts with block 1 on its ACK 0", () => {
    const t = transfer(pattern(100), { blksize: "64", tsize: "0" });
    expect(decoded(t.start(0))).toEqual([
      {
        op: "OACK",
        options: new Map([
          ["blksize", "64"],
          ["tsize", "100"],
        ]),
      },
    ]);
    expect(t.onPacket(ack(1), 1).send).toEqual([]);
    const first = decoded(t.onPacket(ack(0), 2))[0];
    expect(first?.op === "DATA" && first.data.length).toBe(64);
  });

  it("takes over ACKs the transport answered itself, and still ends on the last block's ACK", () => {
    const t = transfer(pattern(5000), {}, 2); // blocks 1-9 of 512 bytes, block 10 short
    t.start(0);
    expect(t.lastAcknowledged).toBe(0);
    t.acknowledged(6, 500); // the data pump answered ACKs 1-6, sending block 7 at 500 ms
    expect(t.lastAcknowledged).toBe(6);
    expect(t.bytesAcknowledged).toBe(6 * 512);
    expect(t.deadline).toBe(1500);
    expect(t.onTimeout(1400).send).toEqual([]); // before the deadline: nothing
    expect(blocksOf(t.onTimeout(1500))).toEqual([7]); // then block 7, not block 1
    t.acknowledged(4, 1600); // older progress changes nothing
    expect(t.lastAcknowledged).toBe(6);
    t.acknowledged(10, 1700); // the last block's ACK is the state machine's own, never taken over
    expect(t.lastAcknowledged).toBe(6);
    t.acknowledged(9, 1800); // progress resets the tries: two more timeouts before giving up
    expect(blocksOf(t.onTimeout(2800))).toEqual([10]);
    expect(blocksOf(t.onTimeout(3800))).toEqual([10]);
    expect(t.onTimeout(4800).done?.result).toBe("timeout");
    t.acknowledged(9, 4900); // a transfer that is over takes nothing more
    expect(t.onPacket(ack(10), 5000)).toEqual({ send: [] });
  });

  it("never answers a repeated ACK (no sorcerer's apprentice); only the timer resends", () => {
    const t = transfer(pattern(2000));
    t.start(0);
    expect(blocksOf(t.onPacket(ack(1), 5))).toEqual([2]);
    expect(t.onPacket(ack(1), 6).send).toEqual([]);
    expect(t.onPacket(ack(1), 7).send).toEqual([]);
    expect(t.onTimeout(500).send).toEqual([]); // before the deadline
    expect(blocksOf(t.onTimeout(1005))).toEqual([2]);
  });

  it("gives up after maxRetries timeouts with an ERROR to the client", () => {
    const t = transfer(pattern(10), {}, 2);
    t.start(0);
    expect(blocksOf(t.onTimeout(1000))).toEqual([1]);
    expect(blocksOf(t.onTimeout(2000))).toEqual([1]);
    const end = t.onTimeout(3000);
    expect(end.done?.result).toBe("timeout");
    expect(decoded(end)[0]).toMatchObject({ op: "ERROR", code: 0 });
  });

  it("ends on a client ERROR and refuses a DATA packet from the client", () => {
    const a = transfer(pattern(10));
    a.start(0);
    expect(a.onPacket({ op: "ERROR", code: 0, message: "bye" }, 1).done?.result).toBe("aborted");
    const b = transfer(pattern(10));
    b.start(0);
    const step = b.onPacket({ op: "DATA", block: 1, data: new Uint8Array() }, 1);
    expect(step.done?.result).toBe("aborted");
    expect([...(step.send[0] ?? [])]).toEqual([...encodeError(4, "expected an ACK")]);
  });

  it("crosses the 16-bit block number: block 65536 goes out as 0 and 65537 as 1", () => {
    const size = 65540 * 8;
    const t = transfer(pattern(size), { blksize: "8" });
    t.start(0);
    let sent: number[] = blocksOf(t.onPacket(ack(0), 0));
    for (let block = 1; block < 65537; block++) sent = blocksOf(t.onPacket(ack(block), 0));
    expect(sent).toEqual([1]); // block 65537
    expect(blocksOf(t.onPacket(ack(65535), 0))).toEqual([]); // an old ACK from before the wrap
    expect(t.onPacket(ack(65540), 0).send.length).toBe(0); // never sent yet: ignored
    for (let block = 65537; block <= 65540; block++) t.onPacket(ack(block), 0);
    expect(t.onPacket(ack(65541), 0).done?.result).toBe("complete");
  });

  it("sends a window of blocks and moves it to the block after an ACK inside it (RFC 7440)", () => {
    const t = transfer(pattern(10 * 512), { windowsize: "4" });
    t.start(0);
    expect(blocksOf(t.onPacket(ack(0), 0))).toEqual([1, 2, 3, 4]);
    expect(blocksOf(t.onPacket(ack(2), 0))).toEqual([3, 4, 5, 6]);
    expect(blocksOf(t.onPacket(ack(6), 0))).toEqual([7, 8, 9, 10]);
    expect(blocksOf(t.onTimeout(2000))).toEqual([7, 8, 9, 10]);
    expect(blocksOf(t.onPacket(ack(10), 2001))).toEqual([11]);
    expect(t.onPacket(ack(11), 2002).done?.result).toBe("complete");
  });

  it("delivers the exact file through loss, duplication and reordering, resending only on timeouts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.constantFrom("8", "512", "1000"),
        fc.constantFrom("1", "3"),
        fc.infiniteStream(fc.constantFrom("deliver", "deliver", "deliver", "drop", "duplicate", "swap")),
        (size, blksize, windowsize, fates) => {
          const file = pattern(size);
          const t = transfer(file, { blksize, windowsize }, 1000);
          const toClient: Uint8Array[] = [...t.start(0).send];
          const toServer: Uint8Array[] = [];
          const received: Uint8Array[] = [];
          let next = 1; // next block the client expects, counted without wrap
          let now = 0;
          let done: Step["done"];
          for (let steps = 0; steps < 200000 && !done; steps++) {
            const queue = toClient.length > 0 ? toClient : toServer;
            if (queue.length === 0) {
              now = t.deadline;
              toClient.push(...t.onTimeout(now).send);
              continue;
            }
            const fate = fates.next().value;
            if (fate === "swap" && queue.length > 1) queue.push(queue.shift() as Uint8Array);
            const packet = queue.shift() as Uint8Array;
            if (fate === "drop") continue;
            const copies = fate === "duplicate" ? 2 : 1;
            for (let c = 0; c < copies; c++) {
              if (queue === toServer) {
                const d = decodeTftp(packet);
                if (!d.ok) throw new Error(d.error);
                const step = t.onPacket(d.packet, now);
                // Every answer to an ACK is new progress, never a second copy caused by a duplicate.
                if (step.send.length > 0) expect(step.done).toBeUndefined();
                toClient.push(...step.send);
                done = step.done;
                if (done) break;
              } else {
                const d = decodeTftp(packet);
                if (!d.ok) throw new Error(d.error);
                if (d.packet.op === "OACK") toServer.push(encodeAck(0));
                else if (d.packet.op === "DATA") {
                  if (d.packet.block === (next & 0xffff)) {
                    received.push(d.packet.data);
                    next++;
                  }
                  toServer.push(encodeAck(next - 1));
                }
              }
            }
          }
          expect(done?.result).toBe("complete");
          expect(Buffer.concat(received).equals(Buffer.from(file))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

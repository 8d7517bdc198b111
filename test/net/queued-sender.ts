/**
 * A test client whose sends are queued in the kernel at once (the batched edge's sendTo is
 * synchronous), so datagrams sent in one synchronous run reach a server on loopback as one batch.
 */
import { UdpBatchSocket } from "../../src/net/udp-batch.js";

export class QueuedSender {
  readonly replies: Buffer[] = [];
  readonly #socket: UdpBatchSocket;

  constructor(address: string) {
    this.#socket = UdpBatchSocket.open(
      address,
      0,
      { timestamps: false },
      (batch) => {
        for (let i = 0; i < batch.count; i++) this.replies.push(Buffer.from(batch.payload(i)));
      },
      () => {},
    );
  }

  send(bytes: Uint8Array, port: number, to = "127.0.0.1"): void {
    if (!this.#socket.sendTo(bytes, to, port)) throw new Error("the test client's send buffer is full");
  }

  async until(replies: number, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.replies.length < replies && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  close(): void {
    this.#socket.close();
  }
}

/** Blocks the event loop: datagrams sent before it wait in the kernel's queue meanwhile. */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

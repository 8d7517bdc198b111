import dgram from "node:dgram";
import { closeDgram } from "../../src/net/close-dgram.js";

export type Fate = "deliver" | "drop" | "duplicate";

/**
 * A UDP relay for one TFTP client that loses, duplicates and reorders datagrams in both
 * directions (a stand-in for tc netem where the kernel has no netem). The client talks to the
 * relay's port; the relay talks to the server's listening port first, then to the transfer's own
 * port once the server answers from it. It counts the DATA packets the server sent.
 */
export class LossyRelay {
  readonly #front = dgram.createSocket("udp4");
  readonly #back = dgram.createSocket("udp4");
  readonly #serverPort: number;
  readonly #fate: (direction: "to-server" | "to-client", packet: Buffer) => Fate;
  #client: dgram.RemoteInfo | undefined;
  #transferPort: number | undefined;
  #closed = false;
  dataFromServer = 0;
  acksFromClient = 0;

  constructor(serverPort: number, fate: (direction: "to-server" | "to-client", packet: Buffer) => Fate) {
    this.#serverPort = serverPort;
    this.#fate = fate;
  }

  async start(): Promise<number> {
    this.#front.on("message", (msg, from) => {
      this.#client = from;
      const opcode = msg.readUInt16BE(0);
      if (opcode === 1) this.#transferPort = undefined; // a new request
      if (opcode === 4) this.acksFromClient++;
      this.#pass("to-server", msg, () =>
        this.#back.send(msg, this.#transferPort ?? this.#serverPort, "127.0.0.1"),
      );
    });
    this.#back.on("message", (msg, from) => {
      if (from.port !== this.#serverPort) this.#transferPort ??= from.port;
      // The client would see another transfer ID as a stranger: only the first one gets through.
      if (from.port !== this.#serverPort && from.port !== this.#transferPort) return;
      const opcode = msg.readUInt16BE(0);
      if (opcode === 3) this.dataFromServer++;
      const client = this.#client;
      if (client) this.#pass("to-client", msg, () => this.#front.send(msg, client.port, client.address));
    });
    await new Promise<void>((resolve) => this.#back.bind(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => this.#front.bind(0, "127.0.0.1", resolve));
    return this.#front.address().port;
  }

  #pass(direction: "to-server" | "to-client", packet: Buffer, send: () => void): void {
    const fate = this.#fate(direction, packet);
    if (fate === "drop") return;
    const later = () =>
      setTimeout(
        () => {
          if (!this.#closed) send();
        },
        Math.floor(Math.random() * 4),
      );
    later();
    if (fate === "duplicate") later();
  }

  async close(): Promise<void> {
    // Let the datagrams still held back (up to 4 ms) go out first: one may be the client's last ACK.
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.#closed = true;
    await Promise.all([closeDgram(this.#front), closeDgram(this.#back)]);
  }
}

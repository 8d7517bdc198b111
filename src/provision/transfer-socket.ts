import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { closeDgram } from "../net/close-dgram.js";
import { type TftpPumpSettings, UdpBatchSocket, useUdpBatch } from "../net/udp-batch.js";
import { literalLookup } from "../net/udp-endpoint.js";

/**
 * The socket of one TFTP transfer (its transfer ID): bound to the listening address on a port the
 * kernel picks. The batched native edge when it is built (one sendto per block, no per-datagram
 * objects, and the data pump for content in memory), else Node's dgram.
 */
export interface TransferSocket {
  /** False when the kernel had no room: the retransmission timer covers it. */
  send(bytes: Uint8Array, address: string, port: number): boolean;
  /**
   * The native edge only: answer the transfer's in-order ACKs natively from now on (see
   * UdpBatchSocket.pump); returns the progress array it keeps current.
   */
  readonly pump?: (settings: Omit<TftpPumpSettings, "progress">) => Float64Array;
  close(): Promise<void>;
}

/** `bytes` is valid only during the call. */
export type TransferMessage = (bytes: Buffer, address: string, port: number) => void;

export function openTransferSocket(
  local: string,
  onMessage: TransferMessage,
  onError: (error: Error) => void,
): Promise<TransferSocket> {
  if (useUdpBatch()) {
    try {
      const socket = UdpBatchSocket.open(
        local,
        0,
        // A client sends one ACK per window and waits: one small slot read per wake (recvmmsg with
        // more slots tries again for a datagram that is not there), no receive timestamps.
        { slots: 1, slotBytes: 576, timestamps: false },
        (batch) => {
          for (let i = 0; i < batch.count; i++) {
            if (batch.answeredByPump(i)) continue;
            onMessage(batch.payload(i), batch.sourceAddress(i), batch.sourcePort(i));
          }
        },
        onError,
      );
      return Promise.resolve({
        send: (bytes, address, port) => socket.sendTo(bytes, address, port),
        pump: (settings) => {
          const progress = new Float64Array(2);
          socket.pump({ ...settings, progress });
          return progress;
        },
        close: async () => socket.close(),
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }
  // Replies go to literal addresses: a synchronous lookup spares dns.lookup and a tick per packet.
  const socket = dgram.createSocket({ type: isIPv6(local) ? "udp6" : "udp4", lookup: literalLookup });
  socket.on("message", (message, from) => onMessage(message, from.address, from.port));
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, local, () => {
      socket.off("error", reject);
      socket.on("error", onError);
      resolve({
        send(bytes, address, port) {
          socket.send(bytes, port, address);
          return true;
        },
        close: () => closeDgram(socket),
      });
    });
  });
}

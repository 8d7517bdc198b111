/** A tiny NTP client for tests and the benchmark: sends mode-3 requests, collects replies. */
import dgram from "node:dgram";
import { decodeNtpPacket, type NtpPacket } from "../../src/ntp/packet.js";

export function clientRequest(
  version = 4,
  mode = 3,
  transmit: [number, number] = [0xe9000000, 0x0badcafe],
): Buffer {
  const b = Buffer.alloc(48);
  b[0] = (version << 3) | mode;
  b[2] = 6;
  b.writeUInt32BE(transmit[0], 40);
  b.writeUInt32BE(transmit[1], 44);
  return b;
}

/** Sends one datagram and waits up to `timeoutMs` for one reply; undefined on timeout. */
export async function query(
  port: number,
  payload: Uint8Array,
  timeoutMs = 300,
  host = "127.0.0.1",
): Promise<Buffer | undefined> {
  const socket = dgram.createSocket("udp4");
  try {
    return await new Promise<Buffer | undefined>((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      socket.once("message", (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      socket.once("error", reject);
      socket.send(payload, port, host);
    });
  } finally {
    socket.close();
  }
}

export function decodeReply(bytes: Buffer | undefined): NtpPacket {
  if (!bytes) throw new Error("no reply");
  const d = decodeNtpPacket(bytes);
  if (!d.ok) throw new Error(d.error);
  return d.packet;
}

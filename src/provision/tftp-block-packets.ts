import { dataPacket } from "./tftp-packet.js";
import { type BlockSource, bytesSource } from "./tftp-transfer.js";

/**
 * DATA packets of a cached file, built once per block size and shared by every transfer of it: a
 * lab boots many phones of one model at once, and they all fetch the same firmware with the same
 * block size. A transfer then sends a prebuilt packet per ACK instead of allocating and copying
 * one. The table lives as long as the file's bytes do (the file cache drops them, the table goes
 * with them) and holds about the file's size again; a file keeps tables for at most
 * MAX_BLOCK_SIZES block sizes, others build each packet as before.
 */

/** Block sizes per file with a table; phones of one model ask for one, a mixed lab for a few. */
const MAX_BLOCK_SIZES = 2;

/** Per file's bytes: per block size, the packets built so far (index = block - 1). */
const tables = new WeakMap<Uint8Array, Map<number, Uint8Array[]>>();

/** A source over cached bytes whose DATA packets are shared between transfers. */
export function sharedPacketSource(bytes: Uint8Array): BlockSource {
  return {
    ...bytesSource(bytes),
    packet(block, blockSize) {
      const packets = tableFor(bytes, blockSize);
      if (!packets) return buildPacket(bytes, block, blockSize);
      const index = block - 1;
      let packet = packets[index];
      if (!packet) {
        packet = buildPacket(bytes, block, blockSize);
        packets[index] = packet;
      }
      return packet;
    },
  };
}

function tableFor(bytes: Uint8Array, blockSize: number): Uint8Array[] | undefined {
  let bySize = tables.get(bytes);
  if (!bySize) {
    bySize = new Map();
    tables.set(bytes, bySize);
  }
  let packets = bySize.get(blockSize);
  if (!packets && bySize.size < MAX_BLOCK_SIZES) {
    packets = [];
    bySize.set(blockSize, packets);
  }
  return packets;
}

/** Block `block` (from 1): its header and up to `blockSize` bytes; the last one is short, maybe empty. */
function buildPacket(bytes: Uint8Array, block: number, blockSize: number): Uint8Array {
  const offset = (block - 1) * blockSize;
  const part = bytes.subarray(Math.min(offset, bytes.length), Math.min(offset + blockSize, bytes.length));
  // Its own memory (not Buffer's shared pool), so a kept packet pins no other bytes.
  const packet = dataPacket(block, 0);
  const out = new Uint8Array(4 + part.length);
  out.set(packet, 0);
  out.set(part, 4);
  return out;
}

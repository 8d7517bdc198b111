import { describe, expect, it } from "vitest";
import { DhcpService } from "../../src/dhcp/dhcp-service.js";
import type { Lease } from "../../src/dhcp/leases/lease.js";
import { LeaseStoreError } from "../../src/dhcp/leases/lease-store-error.js";
import { MemoryLeaseStore } from "../../src/dhcp/leases/memory-lease-store.js";
import { DhcpMessageType, type DhcpPacket, messageTypeOf } from "../../src/dhcp/packet.js";
import { RecordingSink } from "../../src/observe/events.js";
import { decodeReply } from "../dhcp/client-messages.js";
import { buildSite, ip } from "../dhcp/site-builder.js";
import { discover, selecting } from "./ha-lab.js";

/**
 * What the DHCP service does when a shared lease database refuses a commit because another server
 * gave the address away first: the store has refreshed the row, the message is decided again, and
 * the client gets the NAK (never silence, never an ACK for an address it does not hold).
 */

/** A memory store in which another server takes `address` just before our first commit of it. */
class RacedStore extends MemoryLeaseStore {
  conflicts = 0;
  constructor(
    readonly address: number,
    readonly winner: Lease,
    readonly times = 1,
  ) {
    super();
  }
  override put(lease: Lease): Promise<void> {
    if (lease.address === this.address && this.conflicts < this.times) {
      this.conflicts++;
      void super.put(this.winner);
      return Promise.reject(
        new LeaseStoreError("SITEBOOT_ERR_LEASES_CONFLICT", "lease store: held by another"),
      );
    }
    return super.put(lease);
  }
}

async function serve(store: MemoryLeaseStore) {
  await store.open(); // idempotent: a test may have filled the store first
  const replies: DhcpPacket[] = [];
  let deliver: (batch: Buffer[]) => void = () => {};
  const events = new RecordingSink();
  const service = new DhcpService(buildSite(), {
    events,
    leases: store,
    openSocket: (_iface, _port, onDatagrams) => {
      deliver = onDatagrams;
      return {
        send: (bytes, _address, _port, done) => {
          replies.push(decodeReply(bytes));
          done(undefined);
        },
        close: () => {},
      };
    },
  });
  await service.start();
  const exchange = async (bytes: Uint8Array) => {
    const before = replies.length;
    deliver([Buffer.from(bytes)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return replies.slice(before);
  };
  return { service, exchange, events };
}

const OTHER: Omit<Lease, "address"> = {
  clientKey: "hw:1:020000aaaaaa",
  mac: "02:00:00:aa:aa:aa",
  subnet: "198.51.100.0/24",
  state: "active",
  start: Date.now(),
  expiresAt: Date.now() + 3_600_000,
};

describe("a lease conflict with another server", () => {
  it("turns the REQUEST's answer into a NAK, and the next DISCOVER gets another address", async () => {
    const first = ip("198.51.100.100");
    const store = new RacedStore(first, { ...OTHER, address: first });
    const { service, exchange, events } = await serve(store);
    const [offer] = await exchange(discover(1, 11));
    expect(offer?.yiaddr).toBe(first);
    const replies = await exchange(selecting(1, 12, first));
    expect(replies.map((r) => messageTypeOf(r))).toEqual([DhcpMessageType.NAK]);
    expect(store.conflicts).toBe(1);
    expect(store.byAddress(first)?.clientKey).toBe(OTHER.clientKey);
    const [again] = await exchange(discover(1, 13));
    expect(again?.yiaddr).not.toBe(first);
    const [ack] = await exchange(selecting(1, 14, again!.yiaddr));
    expect(messageTypeOf(ack!)).toBe(DhcpMessageType.ACK);
    expect(events.events.filter((e) => e.type === "service.error")).toEqual([]);
    await service.stop();
  });

  it("is no error when reclaiming: the other server renewed the lease, which did not expire", async () => {
    const renewed = ip("198.51.100.120");
    const expired = ip("198.51.100.121");
    const store = new RacedStore(renewed, { ...OTHER, address: renewed });
    await store.open();
    const past = { ...OTHER, start: Date.now() - 7_200_000, expiresAt: Date.now() - 3_600_000 };
    await MemoryLeaseStore.prototype.put.call(store, { ...past, address: renewed });
    await MemoryLeaseStore.prototype.put.call(store, { ...past, clientKey: "id:02", address: expired });
    const { service, events } = await serve(store); // reclaims at start
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.conflicts).toBe(1);
    expect(events.events.filter((e) => e.type === "service.error")).toEqual([]);
    const expiredEvents = events.events.flatMap((e) =>
      e.type === "dhcp.lease" ? [`${e.action} ${e.address}`] : [],
    );
    expect(expiredEvents).toEqual(["expire 198.51.100.121"]);
    expect(store.byAddress(renewed)?.state).toBe("active");
    expect(store.byAddress(expired)?.state).toBe("expired");
    await service.stop();
  });

  it("decides again at most twice, then withholds the reply and says why", async () => {
    const first = ip("198.51.100.100");
    // Every commit of this address is refused, and the refreshed row is this client's own, so each
    // new decision tries the same address again.
    const store = new RacedStore(first, { ...OTHER, clientKey: "hw:1:020000000001", address: first }, 99);
    const { service, exchange, events } = await serve(store);
    await exchange(discover(1, 21));
    const replies = await exchange(selecting(1, 22, first));
    expect(replies).toEqual([]);
    expect(store.conflicts).toBe(3);
    const errors = events.events.filter((e) => e.type === "service.error");
    expect(errors.map((e) => (e.type === "service.error" ? e.message : ""))).toEqual([
      "lease store write failed; reply withheld",
    ]);
    await service.stop();
  });
});

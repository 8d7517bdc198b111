/**
 * Lease host names end to end without a network: config/site.yaml with `dhcp.ddns`, the DHCP
 * service on fake sockets with a clock the test moves, the lease names, and the DNS engine that
 * serves them. What a phone's DHCP exchange does is read back by DNS queries.
 */
import { parseSite } from "../../src/config/load.js";
import type { Site } from "../../src/config/site.js";
import { DhcpService } from "../../src/dhcp/dhcp-service.js";
import type { LeaseStore } from "../../src/dhcp/leases/lease-store.js";
import { MemoryLeaseStore } from "../../src/dhcp/leases/memory-lease-store.js";
import { DhcpMessageType, type DhcpPacket } from "../../src/dhcp/packet.js";
import type { InterfaceSocket } from "../../src/dhcp/transport.js";
import { answerQuery, DnsEngine } from "../../src/dns/engine.js";
import { LeaseNames } from "../../src/dns/lease-names.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { typeCode } from "../../src/dns/wire.js";
import { type DnsNameEvent, RecordingSink } from "../../src/observe/events.js";
import { buildClientMessage, decodeReply, u32 } from "../dhcp/client-messages.js";
import { siteYaml } from "../dhcp/dhcp-lab.js";
import { decodeReply as decodeDns } from "../dns/site-fixture.js";

export const SERVER_ID = "198.51.100.2";

/** config/site.yaml with `dhcp.ddns` (and any further replacements). */
export function ddnsSiteYaml(ddns = "{ zone: contoso.com }", more: [string | RegExp, string][] = []): string {
  return siteYaml([[/^dhcp:\n/m, `dhcp:\n  ddns: ${ddns}\n`], ...more]);
}

export function loadDdnsSite(text = ddnsSiteYaml()): Site {
  const loaded = parseSite(text, "site.yaml");
  if (!loaded.ok) throw new Error(`site did not load: ${JSON.stringify(loaded.errors)}`);
  return loaded.site;
}

class FakeSocket implements InterfaceSocket {
  readonly sent: Uint8Array[] = [];
  constructor(readonly onDatagrams: (batch: Buffer[]) => void) {}
  send(bytes: Uint8Array, _address: string, _port: number, done: (error: Error | undefined) => void) {
    this.sent.push(bytes);
    done(undefined);
  }
  close() {}
}

const settle = () => new Promise((r) => setTimeout(r, 2));

export function text(value: string): Uint8Array {
  return Uint8Array.from(Buffer.from(value, "latin1"));
}

export class DdnsHarness {
  now = Date.parse("2026-06-01T08:00:00Z");
  readonly events = new RecordingSink();
  readonly names = new LeaseNames();
  readonly dhcp: DhcpService;
  readonly dns: DnsEngine;
  #socket: FakeSocket | undefined;

  private constructor(
    readonly site: Site,
    readonly leases: LeaseStore,
  ) {
    const now = () => this.now;
    for (const event of this.names.rebuild(site, leases.all(), this.now)) this.events.emit(event);
    this.dhcp = new DhcpService(site, {
      events: this.events,
      leases,
      now,
      leaseNames: this.names,
      reclaimIntervalMs: 3_600_000,
      openSocket: (_iface, _port, onDatagrams) => {
        this.#socket = new FakeSocket(onDatagrams);
        return this.#socket;
      },
    });
    this.dns = new DnsEngine(site.dns, { events: this.events, now, leaseNames: this.names });
  }

  static async start(
    site = loadDdnsSite(),
    leases: LeaseStore = new MemoryLeaseStore(),
  ): Promise<DdnsHarness> {
    await leases.open();
    const harness = new DdnsHarness(site, leases);
    await harness.dhcp.start();
    return harness;
  }

  /** Sends one message; resolves once it is handled (its one dhcp.message event, after the lease write). */
  async #exchange(message: Uint8Array): Promise<DhcpPacket | undefined> {
    const socket = this.#socket!;
    const before = socket.sent.length;
    const handled = () => this.events.events.filter((e) => e.type === "dhcp.message").length;
    const done = handled() + 1;
    socket.onDatagrams([Buffer.from(message)]);
    const deadline = Date.now() + 5_000;
    while (handled() < done) {
      if (Date.now() > deadline) throw new Error("the DHCP service did not handle the message");
      await settle();
    }
    const reply = socket.sent[before];
    return reply ? decodeReply(reply) : undefined;
  }

  /** DISCOVER then REQUEST (selecting); the ACK. */
  async lease(mac: string, options: [number, Uint8Array][] = []): Promise<DhcpPacket> {
    const offer = await this.#exchange(buildClientMessage({ type: DhcpMessageType.DISCOVER, mac, options }));
    if (!offer) throw new Error("no OFFER");
    const ack = await this.#exchange(
      buildClientMessage({
        type: DhcpMessageType.REQUEST,
        mac,
        options: [[54, u32(ipNumber(SERVER_ID))], [50, u32(offer.yiaddr)], ...options],
      }),
    );
    if (!ack || ack.options.get(53)?.[0] !== DhcpMessageType.ACK) throw new Error("no ACK");
    return ack;
  }

  async release(mac: string, address: number): Promise<void> {
    await this.#exchange(
      buildClientMessage({
        type: DhcpMessageType.RELEASE,
        mac,
        ciaddr: address,
        options: [[54, u32(ipNumber(SERVER_ID))]],
      }),
    );
  }

  /** Runs the periodic reclaim now: the service runs it at every start (and on its timer). */
  async reclaim(): Promise<void> {
    await this.dhcp.stop();
    await this.dhcp.start();
    await settle();
  }

  ask(name: string, type: string) {
    const reply = answerQuery(this.dns, encodeQuery({ name, type: typeCode(type)!, id: 7 }), {
      address: "127.0.0.1",
      port: 5300,
      transport: "udp",
    });
    if (!(reply instanceof Buffer)) throw new Error("expected an authoritative reply");
    return decodeDns(reply);
  }

  nameEvents(): DnsNameEvent[] {
    return this.events.events.filter((e): e is DnsNameEvent => e.type === "dns.name");
  }

  async stop(): Promise<void> {
    await this.dhcp.stop();
  }
}

export function ipNumber(textForm: string): number {
  return textForm.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

export function ipText(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

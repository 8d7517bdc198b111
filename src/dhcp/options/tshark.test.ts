import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeOptionValue } from "./codec.js";
import { splitOption } from "./split.js";
import { optionByName } from "./table.js";

/**
 * Cross-check with an independent decoder: the encoded options go into a DHCPACK written to a pcap
 * file (no network traffic) and Wireshark's dissector reads them back.
 */

function hasTshark(): boolean {
  try {
    execFileSync("tshark", ["--version"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function option(name: string, value: unknown): Uint8Array {
  const def = optionByName(name);
  if (def === undefined) throw new Error(`no option ${name}`);
  const r = encodeOptionValue(def, value, { self: 0xc6336402 });
  if (!r.ok) throw new Error(`${name}: ${r.error}`);
  return splitOption(def.code, r.data);
}

function dhcpAck(options: readonly Uint8Array[]): Uint8Array {
  const header = new Uint8Array(236);
  header.set([2, 1, 6, 0, 0x12, 0x34, 0x56, 0x78]); // BOOTREPLY, Ethernet, xid
  header.set([198, 51, 100, 50], 16); // yiaddr
  header.set([0x00, 0x04, 0xf2, 0x00, 0x00, 0x01], 28); // chaddr
  const body = [...header, 99, 130, 83, 99, 53, 1, 5, 54, 4, 198, 51, 100, 2];
  for (const o of options) body.push(...o);
  body.push(255);
  return Uint8Array.from(body);
}

function frame(payload: Uint8Array): Uint8Array {
  const udpLen = 8 + payload.length;
  const ipLen = 20 + udpLen;
  const ip = [
    0x45,
    0,
    ipLen >> 8,
    ipLen & 255,
    0,
    0,
    0,
    0,
    64,
    17,
    0,
    0,
    198,
    51,
    100,
    2,
    255,
    255,
    255,
    255,
  ];
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (ip[i]! << 8) | ip[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = (~sum >> 8) & 255;
  ip[11] = ~sum & 255;
  const udp = [0, 67, 0, 68, udpLen >> 8, udpLen & 255, 0, 0];
  const eth = [255, 255, 255, 255, 255, 255, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
  return Uint8Array.from([...eth, ...ip, ...udp, ...payload]);
}

function pcap(packet: Uint8Array): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20); // Ethernet
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(packet.length, 8);
  rec.writeUInt32LE(packet.length, 12);
  return Buffer.concat([global, rec, Buffer.from(packet)]);
}

const dir = mkdtempSync(join(tmpdir(), "siteboot-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dissect(options: readonly Uint8Array[], fields: readonly string[]): string[] {
  const file = join(dir, `ack-${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(file, pcap(frame(dhcpAck(options))));
  const out = execFileSync(
    "tshark",
    [
      "-n",
      "-r",
      file,
      "-T",
      "fields",
      "-E",
      "separator=|",
      "-E",
      "aggregator=,",
      ...fields.flatMap((f) => ["-e", f]),
    ],
    { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "ignore"] },
  );
  return out.trimEnd().split("|");
}

// 24 names that share only ".contoso.com": over 255 octets even compressed, so 119 is split.
const LONG_SEARCH = Array.from({ length: 24 }, (_, i) => `office-${i}-building.region${i}.contoso.com`);

describe.skipIf(!hasTshark())("Wireshark reads the encoded options back", () => {
  it("lists, strings, times, RFC 3397 compression and RFC 3396 splitting", () => {
    const search = option("domain-search", LONG_SEARCH);
    expect(search.length - 2 * 3).toBeGreaterThan(2 * 255); // at least three instances
    const fields = dissect(
      [
        option("subnet-mask", "255.255.255.0"),
        option("time-offset", "-5h"),
        option("routers", ["198.51.100.1"]),
        option("dns-servers", ["self", "198.51.100.3"]),
        option("domain-name", "contoso.com"),
        option("lease-time", "8h"),
        option("tftp-server", "http://prov.contoso.com/"),
        option("tftp-server-address", ["198.51.100.2", "198.51.100.4"]),
        search,
        option("sip-servers", ["sip.fabrikam.com", "sip2.fabrikam.com"]),
        option("ntp-servers", "self"),
      ],
      [
        "dhcp.option.subnet_mask",
        "dhcp.option.time_offset",
        "dhcp.option.router",
        "dhcp.option.domain_name_server",
        "dhcp.option.domain_name",
        "dhcp.option.ip_address_lease_time",
        "dhcp.option.tftp_server_name",
        "dhcp.option.tftp_server_address",
        "dhcp.option.dhcp_dns_domain_search_list_fqdn",
        "dhcp.option.sip_server.name",
        "dhcp.option.ntp_server",
        "_ws.malformed",
      ],
    );
    expect(fields).toEqual([
      "255.255.255.0",
      "-18000",
      "198.51.100.1",
      "198.51.100.2,198.51.100.3",
      "contoso.com",
      "28800",
      "http://prov.contoso.com/",
      "198.51.100.2,198.51.100.4",
      LONG_SEARCH.join(","),
      "sip.fabrikam.com,sip2.fabrikam.com",
      "198.51.100.2",
      "",
    ]);
  });

  it("SIP servers in the address form", () => {
    const fields = dissect(
      [option("sip-servers", ["198.51.100.5", "198.51.100.6"])],
      ["dhcp.option.sip_server.encoding", "dhcp.option.sip_server.address", "_ws.malformed"],
    );
    expect(fields).toEqual(["1", "198.51.100.5,198.51.100.6", ""]);
  });
});

/**
 * Every vendor profile, replayed through the DHCP core as the phones ask: the vendor class string
 * (or Polycom's binary RFC 3925 form) in option 60 and the request list in option 55. The vendor
 * options of each reply are compared octet for octet with vectors written from the vendors' own
 * documents (cited per row), and they come in the order the phone asked for them.
 */
import { describe, expect, it } from "vitest";
import { matchVendorClass, toHex } from "../../src/dhcp/options/index.js";
import { bytes } from "../../src/dhcp/options/test-bytes.js";
import { OPTIONS_OFFSET } from "../../src/dhcp/packet.js";
import { optionOrder } from "../dhcp/client-messages.js";
import { Scenario } from "../dhcp/scenario-harness.js";
import { load } from "./profile-site.js";

const SITE = `profiles:
  lync: { pool: { name: pool01, address: 198.51.100.20 } }
  polycom: { provisioning: http://prov.contoso.com/polycom/ }
  cisco: { tftp: [198.51.100.40, 198.51.100.41] }
  yealink: { provisioning: http://prov.contoso.com/yealink/, acs: http://acs.isp.org, customOption: 242 }
  snom: { provisioning: "http://test", file: snom/settings.php }
  avaya: { callServer: 198.51.100.20, httpServer: 198.51.100.40, settings: { MCPORT: 1719 } }
  audiocodes: { provisioning: http://prov.contoso.com/audc/ }
`;

/** Hex of a whole option as it goes on the wire: code, length, data. */
const tlv = (code: number, data: string | Uint8Array) => {
  const raw = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return toHex(Uint8Array.of(code, raw.length, ...raw));
};
const text = (s: string) => new TextEncoder().encode(s);

/** Each option of the reply as code → "code len data" hex. */
function replyOptions(reply: Uint8Array): Map<number, string> {
  const out = new Map<number, string>();
  let i = OPTIONS_OFFSET;
  while (i < reply.length && reply[i] !== 255) {
    if (reply[i] === 0) {
      i++;
      continue;
    }
    const len = reply[i + 1]!;
    out.set(reply[i]!, toHex(reply.subarray(i, i + 2 + len)));
    i += 2 + len;
  }
  return out;
}

interface Row {
  vendor: string;
  /** Option 60 as the phone sends it. */
  vendorClass: Uint8Array;
  /** Option 55: what the phone's documentation says it reads. */
  requested: number[];
  expected: Record<number, string>;
  className: string;
}

const ROWS: Row[] = [
  {
    // Lync Server 2010 "Setting Up DHCP for Devices" (gg398369): 60 MS-UC-Client, 55 asks for 43
    // and 120; values per "Obtaining Values of DHCP Options by Using DHCPUtil.exe" (gg412828).
    vendor: "Lync Phone Edition",
    vendorClass: text("MS-UC-Client"),
    requested: [1, 3, 6, 15, 42, 43, 120],
    className: "lync",
    expected: {
      43: `2b 55 01 0c 4d 53 2d 55 43 2d 43 6c 69 65 6e 74 02 05 68 74 74 70 73 03 12 ${toHex(text("pool01.contoso.com"))} 04 03 34 34 33 05 25 ${toHex(text("/CertProv/CertProvisioningService.svc"))}`,
      120: `78 15 00 06 ${toHex(text("pool01"))} 07 ${toHex(text("contoso"))} 03 ${toHex(text("com"))} 00`,
    },
  },
  {
    // Polycom UC Software Administrator's Guide, "Parsing Vendor ID Information" (the SoundPoint IP
    // 601 example, RFC 3925 layout, enterprise 13885); the phone reads 160 before 66.
    vendor: "Polycom (binary option 60)",
    vendorClass: bytes(`00 00 36 3d 6f 01 07 "Polycom" 02 15 "SoundPointIP-SPIP_601" 03 10 "2345-11605-001,2"
      04 1c "SIP/Tip.XXXX/08-Jun-07 10:44" 05 1d "BR/3.1.0.XXXX/28-Apr-05 13:30" ff`),
    requested: [1, 3, 6, 15, 42, 160, 66],
    className: "polycom",
    expected: {
      160: tlv(160, "http://prov.contoso.com/polycom/"),
      66: tlv(66, "http://prov.contoso.com/polycom/"),
    },
  },
  {
    // RFC 5859 section 3: option 150 is a list of IPv4 addresses, 4 octets each.
    vendor: "Cisco",
    vendorClass: text("Cisco Systems, Inc. IP Phone CP-7945G\0"),
    requested: [1, 3, 6, 15, 42, 66, 150],
    className: "cisco",
    expected: {
      150: "96 08 c6 33 64 28 c6 33 64 29",
      66: tlv(66, "198.51.100.40"),
    },
  },
  {
    // Yealink administrator guides: custom option, then 66, then 43 (the ACS address). Option 43 as
    // TR-069 (CWMP) defines it, code 1 the ACS URL; the usual ISC dhcpd example for
    // http://acs.isp.org is vendor-encapsulated-options 01:12:68:74:74:70:3a:2f:2f:61:63:73:2e:69:
    // 73:70:2e:6f:72:67.
    vendor: "Yealink",
    vendorClass: text("Yealink SIP-T46U 66.86.0.15"),
    requested: [1, 3, 6, 15, 42, 66, 43, 242],
    className: "yealink",
    expected: {
      66: tlv(66, "http://prov.contoso.com/yealink/"),
      43: "2b 14 01 12 68 74 74 70 3a 2f 2f 61 63 73 2e 69 73 70 2e 6f 72 67",
      242: tlv(242, "http://prov.contoso.com/yealink/"),
    },
  },
  {
    // snom wiki, "Features/Auto Provisioning/DHCP/Options": option 43 tunnelling 66 "http://test"
    // and 67 "snom/settings.php" is 42:0c:68:74:74:70:3a:2f:2f:74:65:73:74:00:43:12:73:6e:6f:6d:2f:
    // 73:65:74:74:69:6e:67:73:2e:70:68:70:00.
    vendor: "snom",
    vendorClass: text("snomD785"),
    requested: [1, 3, 6, 15, 42, 66, 67, 43],
    className: "snom",
    expected: {
      66: tlv(66, "http://test"),
      67: tlv(67, "snom/settings.php"),
      43: "2b 22 42 0c 68 74 74 70 3a 2f 2f 74 65 73 74 00 43 12 73 6e 6f 6d 2f 73 65 74 74 69 6e 67 73 2e 70 68 70 00",
    },
  },
  {
    // Avaya J100 / 9600 SIP administration guides: 60 "ccp.avaya.com", the site specific option 242
    // holds NAME=value pairs separated by commas, "MCIPADD=…,MCPORT=1719,…" (4600 LAN Admin Guide).
    vendor: "Avaya",
    vendorClass: text("ccp.avaya.com"),
    requested: [1, 3, 6, 15, 42, 242],
    className: "avaya",
    expected: { 242: tlv(242, "MCIPADD=198.51.100.20,HTTPSRVR=198.51.100.40,MCPORT=1719") },
  },
  {
    // AudioCodes 400HD Series Administrator's Manual (LTRT-11973), "Provisioning using DHCP Option
    // 66/67": option 160 has the highest priority, then 66/67, then 43; an http:// URL in 66 is used
    // as given.
    vendor: "AudioCodes",
    vendorClass: text("AUDC-IPPhone-445HD_UC/3.4.6"),
    requested: [1, 3, 6, 15, 42, 160, 159, 66],
    className: "audiocodes",
    expected: {
      160: tlv(160, "http://prov.contoso.com/audc/"),
      159: tlv(159, "http://prov.contoso.com/audc/"),
      66: tlv(66, "http://prov.contoso.com/audc/"),
    },
  },
  {
    vendor: "Panasonic",
    vendorClass: text("Panasonic KX-HDV130"),
    requested: [1, 3, 6, 15, 42, 66, 159, 160],
    className: "panasonic",
    expected: {
      160: tlv(160, "http://prov.contoso.com/audc/"),
      159: tlv(159, "http://prov.contoso.com/audc/"),
      66: tlv(66, "http://prov.contoso.com/audc/"),
    },
  },
];

describe.each(ROWS)("$vendor", (row) => {
  it("gets its class's options, byte for byte, in the order it asked", async () => {
    const site = load(SITE);
    const s = new Scenario(site);
    const { offer, ack } = await s.doDORA("00:04:f2:00:00:77", {
      options: [
        [60, row.vendorClass],
        [55, Uint8Array.from(row.requested)],
      ],
    });
    for (const exchange of [offer, ack]) {
      const bytesOut = exchange.reply!.bytes;
      const got = replyOptions(bytesOut);
      for (const [code, hex] of Object.entries(row.expected))
        expect([code, got.get(Number(code))]).toEqual([code, hex]);
      // The requested options come first after 53/54 and the lease times, in the phone's order.
      const order = optionOrder(bytesOut).filter((c) => row.requested.includes(c));
      expect(order).toEqual(row.requested.filter((c) => got.has(c)));
    }
    // The server takes the first class that matches: this vendor's own.
    expect(site.dhcp.classes.find((c) => matchVendorClass(c.match, row.vendorClass))?.name).toBe(
      row.className,
    );
  });
});

it("no vendor option leaks to a client of another vendor", async () => {
  const s = new Scenario(load(SITE));
  const { ack } = await s.doDORA("00:04:f2:00:00:78", {
    options: [
      [60, text("udhcp 1.36.1")],
      [55, Uint8Array.of(1, 3, 6, 43, 66, 67, 120, 150, 159, 160, 242)],
    ],
  });
  expect(
    [...replyOptions(ack.reply!.bytes).keys()].filter((c) =>
      [43, 66, 67, 120, 150, 159, 160, 242].includes(c),
    ),
  ).toEqual([]);
});

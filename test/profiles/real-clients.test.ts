/**
 * Real DHCP clients sending a vendor class receive their profile's options: ISC dhclient
 * (`send vendor-class-identifier`) as a Lync phone and as a Polycom phone with the binary RFC 3925
 * form, dhcpcd (`-i`) as a Cisco and an Avaya phone. The service runs the shipped example plus the
 * cisco and avaya profiles, in network namespaces this test creates; tshark decodes the capture
 * (options 43, 120, 150, 160, 242) without a malformed report.
 */
import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastBlock, setMac, startCapture, stopCapture, writeHook, wroteBlock } from "../dhcp/client-hooks.js";
import { DhcpLab, siteYaml, sleep, waitForFile } from "../dhcp/dhcp-lab.js";
import { canUseNetns } from "../helpers/netns.js";

/** ISC dhclient prints binary options as colon-separated hex without leading zeros. */
const iscHex = (text: string | undefined) =>
  (text ?? "")
    .split(":")
    .map((h) => h.padStart(2, "0"))
    .join(" ");
const ascii = (s: string) =>
  Buffer.from(s)
    .toString("hex")
    .replace(/(..)(?!$)/g, "$1 ");

const EXTRA_PROFILES = `  cisco: { tftp: [198.51.100.40, 198.51.100.41] }
  avaya: { callServer: 198.51.100.20, httpServer: 198.51.100.40, settings: { L2Q: 1 } }
`;

describe.skipIf(!canUseNetns())("real clients with a vendor class get their profile's options", () => {
  const lab = new DhcpLab();
  let client = "";
  let ifname = "";
  let capture: ChildProcess;
  const pcap = join(lab.dir, "lab0.pcap");

  const hook = (name: string) => writeHook(lab, name);

  async function dhclient(name: string, mac: string, conf: string[]): Promise<Map<string, string>> {
    setMac(lab.net, client, ifname, mac);
    const script = hook(name);
    const files = [
      "-sf",
      script,
      "-lf",
      join(lab.dir, `${name}.leases`),
      "-pf",
      join(lab.dir, `${name}.pid`),
    ];
    const cf = lab.writeFile(`${name}.conf`, conf.join("\n"));
    lab.net.exec(client, "timeout", "20", "dhclient", "-4", "-1", ...files, "-cf", cf, ifname);
    const out = await waitForFile(join(lab.dir, `${name}.out`), wroteBlock("BOUND"));
    const result = lastBlock(out, ["BOUND"]);
    lab.net.exec(client, "timeout", "10", "dhclient", "-4", "-x", ...files, "-cf", cf, ifname);
    return result;
  }

  function dhcpcd(name: string, mac: string, vendorClass: string, conf: string[]): Map<string, string> {
    setMac(lab.net, client, ifname, mac);
    const script = hook(name);
    const cf = lab.writeFile(`${name}.conf`, ["noarp", "ipv4only", ...conf].join("\n"));
    lab.net.exec(
      client,
      "timeout",
      "30",
      "dhcpcd",
      "-f",
      cf,
      "-c",
      script,
      "-i",
      vendorClass,
      "-4",
      "-1",
      "-B",
      ifname,
    );
    if (existsSync(`/var/lib/dhcpcd/${ifname}.lease`)) rmSync(`/var/lib/dhcpcd/${ifname}.lease`);
    return lastBlock(readFileSync(join(lab.dir, `${name}.out`), "utf8"), ["BOUND"]);
  }

  beforeAll(async () => {
    const app = lab.net.namespace("app");
    client = lab.net.namespace("cli");
    ifname = `sp${lab.net.id}`;
    lab.net.link({ ns: app, ifname: "lab0", address: "198.51.100.2/24" }, { ns: client, ifname });
    capture = await startCapture(lab.net, app, "lab0", pcap);
    const yaml = siteYaml([["  polycom: {", `${EXTRA_PROFILES}  polycom: {`]]);
    expect(yaml).toContain("cisco: { tftp");
    await lab.serve(app, lab.writeFile("site.yaml", yaml), join(lab.dir, "leases"));
  });

  afterAll(async () => {
    await lab.destroy();
  });

  it("dhclient as MS-UC-Client gets option 43 (certificate provisioning) and 120 (the pool)", async () => {
    const env = await dhclient("lync", "02:00:00:00:1c:01", [
      'send vendor-class-identifier "MS-UC-Client";',
      "option uc120 code 120 = string;",
      "request subnet-mask, routers, domain-name-servers, domain-name, vendor-encapsulated-options, uc120;",
    ]);
    expect(iscHex(env.get("new_vendor_encapsulated_options"))).toBe(
      [
        `01 0c ${ascii("MS-UC-Client")}`,
        `02 05 ${ascii("https")}`,
        `03 12 ${ascii("pool01.contoso.com")}`,
        `04 03 ${ascii("443")}`,
        `05 25 ${ascii("/CertProv/CertProvisioningService.svc")}`,
      ].join(" "),
    );
    expect(iscHex(env.get("new_uc120"))).toBe(
      `00 06 ${ascii("pool01")} 07 ${ascii("contoso")} 03 ${ascii("com")} 00`,
    );
    expect(env.get("new_domain_name")).toBe("contoso.com");
  });

  it("dhclient with Polycom's binary vendor class gets option 160", async () => {
    const env = await dhclient("polycom", "02:00:00:00:1c:02", [
      // Polycom's SoundPoint IP 601 example: enterprise 13885, sub-options 1 (company) and 2 (part).
      `send vendor-class-identifier 00:00:36:3d:20:01:07:${ascii("Polycom").replace(/ /g, ":")}:02:15:${ascii("SoundPointIP-SPIP_601").replace(/ /g, ":")}:ff;`,
      "option polycom160 code 160 = text;",
      "request subnet-mask, routers, tftp-server-name, polycom160;",
    ]);
    // The example's polycom profile names this box (http://self/polycom/).
    expect(env.get("new_polycom160")).toBe("http://198.51.100.2/polycom/");
    expect(env.get("new_tftp_server_name")).toBe("http://198.51.100.2/polycom/");
  });

  it("dhcpcd -i as a Cisco phone gets option 150 and 66", () => {
    const env = dhcpcd("cisco", "02:00:00:00:1c:03", "Cisco Systems, Inc. IP Phone CP-8841", [
      "define 66 string tftp_server_name",
      "define 150 array ipaddress tftp150",
      "option tftp_server_name, tftp150",
    ]);
    expect(env.get("new_tftp150")).toBe("198.51.100.40 198.51.100.41");
    expect(env.get("new_tftp_server_name")).toBe("198.51.100.40");
  });

  it("dhcpcd -i as an Avaya phone gets its site specific option 242", () => {
    const env = dhcpcd("avaya", "02:00:00:00:1c:04", "ccp.avaya.com", [
      "define 242 string avaya_sson",
      "option avaya_sson",
    ]);
    expect(env.get("new_avaya_sson")).toBe("MCIPADD=198.51.100.20,HTTPSRVR=198.51.100.40,L2Q=1");
  });

  it("tshark decodes the replies without a malformed report", async () => {
    await sleep(500);
    await stopCapture(capture);
    const malformed = execFileSync(
      "tshark",
      ["-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity >= 8388608"],
      {
        encoding: "utf8",
      },
    );
    expect(malformed).toBe("");
    const field = (filter: string, name: string) =>
      new Set(
        execFileSync("tshark", ["-r", pcap, "-Y", filter, "-T", "fields", "-e", name], { encoding: "utf8" })
          .split("\n")
          .filter(Boolean),
      );
    const acks = "dhcp.option.dhcp == 5";
    expect([...field(`${acks} && dhcp.option.type == 120`, "dhcp.option.sip_server.name")]).toEqual([
      "pool01.contoso.com",
    ]);
    // The Cisco phone's: the others get the example's own 150 (this box).
    const tftp = field(
      `${acks} && dhcp.option.type == 150 && dhcp.hw.mac_addr == 02:00:00:00:1c:03`,
      "dhcp.option.tftp_server_address",
    );
    expect(new Set([...tftp].flatMap((v) => v.split(",")))).toEqual(
      new Set(["198.51.100.40", "198.51.100.41"]),
    );
    expect(field(`${acks} && dhcp.option.type == 43`, "dhcp.option.type").size).toBe(1);
    expect(field(`${acks} && dhcp.option.type == 160`, "dhcp.option.type").size).toBe(1);
    expect(field(`${acks} && dhcp.option.type == 242`, "dhcp.option.type").size).toBe(1);
  });
});

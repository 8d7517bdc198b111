/**
 * A phone in its own network namespace: DHCP from the appliance gives it option 66 (self) and
 * option 160 (http://self/...), then it fetches its own rendered file over TFTP and HTTP.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ProvisioningFetchEvent, SitebootEvent } from "../../src/observe/events.js";
import { NODE_TS, waitForFile } from "../dhcp/dhcp-lab.js";
import { canUseNetns, NetnsLab } from "../helpers/netns.js";
import { PHONE_MAC, provisioningFixture } from "./fixture.js";

const HOOK = `#!/bin/sh
out="$(dirname "$0")/udhcpc.out"
case "$1" in
  bound) ip addr replace "$ip/24" dev "$interface"; { echo "ip=$ip"; echo "tftp=$tftp"; echo "opt160=$opt160"; echo "--"; } >> "$out" ;;
esac
exit 0
`;

describe.skipIf(!canUseNetns())("a phone namespace: DHCP → option 66/160 → its own file", () => {
  const net = new NetnsLab();
  const fx = provisioningFixture();
  afterAll(async () => {
    await net.destroy();
    fx.cleanup();
  });

  it("gets this box in options 66 and 160 and fetches its rendered file over TFTP and HTTP", async () => {
    const app = net.namespace("papp");
    const phone = net.namespace("pph");
    const ifname = `ph${net.id}`;
    net.link({ ns: app, ifname: "lab0", address: "198.51.100.2/24" }, { ns: phone, ifname });
    net.exec(phone, "ip", "link", "set", ifname, "down");
    net.exec(phone, "ip", "link", "set", ifname, "address", PHONE_MAC);
    net.exec(phone, "ip", "link", "set", ifname, "up");
    const site = fx.text
      .replace(
        "listen: { address: 127.0.0.1, ports: { tftp: 0, http: 0, https: 0, control: 0 } }",
        "listen: { address: 198.51.100.2, interfaces: [lab0] }\ncontrol: { enabled: false }",
      )
      .replace(
        "dhcp:\n  hosts:\n",
        `dhcp:
  options: { tftp-server: self, provisioning-server: "http://self/cfg/$MA.xml" }
  subnets:
    - { subnet: 198.51.100.0/24, interface: lab0, pools: [198.51.100.100-198.51.100.150] }
  hosts:
`,
      )
      .replace(`mac: "${PHONE_MAC}",`, `mac: "${PHONE_MAC}", address: 198.51.100.50,`);
    const siteFile = join(fx.dir, "lab.yaml");
    writeFileSync(siteFile, site);
    const server = net.spawn(app, process.execPath, [
      ...NODE_TS.slice(1),
      join(import.meta.dirname, "fixtures", "serve-appliance.ts"),
      siteFile,
      join(fx.dir, "state"),
    ]);
    const events: SitebootEvent[] = [];
    let stderr = "";
    server.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`appliance did not start: ${stderr}`)), 30_000);
      let buffer = "";
      server.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          const event = JSON.parse(line) as SitebootEvent | { type: "ready" };
          if (event.type === "ready") {
            clearTimeout(timer);
            resolve();
          } else events.push(event);
        }
      });
      server.once("exit", (code) => reject(new Error(`appliance exited with ${code}: ${stderr}`)));
    });

    const hook = join(fx.dir, "udhcpc.sh");
    writeFileSync(hook, HOOK);
    chmodSync(hook, 0o755);
    net.exec(
      phone,
      "timeout",
      "20",
      "udhcpc",
      "-i",
      ifname,
      "-f",
      "-q",
      "-n",
      "-t",
      "5",
      "-T",
      "2",
      "-s",
      hook,
      "-O",
      "66",
      "-O",
      "160",
    );
    const bound = await waitForFile(join(fx.dir, "udhcpc.out"), (t) => t.includes("--"));
    expect(bound).toContain("ip=198.51.100.50\n");
    const tftpServer = /tftp=(.*)\n/.exec(bound)?.[1];
    expect(tftpServer).toBe("198.51.100.2");
    // udhcpc hands an unknown option over as hex: option 160's URL, with $MA for the phone to fill in.
    const url = Buffer.from(/opt160=(.*)\n/.exec(bound)?.[1] ?? "", "hex").toString();
    expect(url).toBe("http://198.51.100.2/cfg/$MA.xml");

    const mac = PHONE_MAC.replaceAll(":", "");
    const local = join(fx.dir, "phone.cfg");
    net.exec(phone, "busybox", "tftp", "-g", "-r", `${mac}.cfg`, "-l", local, tftpServer as string);
    const cfg = readFileSync(local, "utf8");
    expect(cfg).toContain(
      "mac=0004F2000001\next=1001\nuser=alice@fabrikam.com\nip=198.51.100.50\nserver=198.51.100.2\n",
    );
    const xml = net.exec(phone, "curl", "-sf", url.replace("$MA", mac));
    expect(xml).toBe('<phone mac="00:04:f2:00:00:01"><label>R&amp;D &lt;1&gt;</label></phone>\n');

    const fetched = () => events.filter((e): e is ProvisioningFetchEvent => e.type === "provisioning.fetch");
    for (let i = 0; i < 50 && fetched().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const fetches = fetched();
    expect(fetches.map((f) => [f.protocol, f.client, f.mac, f.result])).toEqual([
      ["tftp", "198.51.100.50", PHONE_MAC, "complete"],
      ["http", "198.51.100.50", PHONE_MAC, "complete"],
    ]);
  }, 90_000);
});

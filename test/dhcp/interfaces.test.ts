/**
 * The socket design in network namespaces: two LANs where the SECOND holds the default route, a
 * client on each gets an address from its own subnet; a third LAN the site does not name gets no
 * answer; a relay agent gets unicast replies on port 67 with option 82 echoed.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DhcpMessageEvent } from "../../src/observe/events.js";
import { canUseNetns } from "../helpers/netns.js";
import { DhcpLab, NODE_TS, REPO, type RunningServer } from "./dhcp-lab.js";

const SITE = `site: { name: two-lan, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen:
  address: 198.51.100.2
  bind: [127.0.0.1]
  interfaces: [lab0, lab1]
dhcp:
  options: { dns-servers: [self] }
  subnets:
    - { subnet: 198.51.100.0/25, interface: lab0, router: 198.51.100.1, pools: [198.51.100.100-198.51.100.120] }
    - { subnet: 203.0.113.0/24, interface: lab1, server: 203.0.113.2, router: 203.0.113.1, pools: [203.0.113.100-203.0.113.120] }
    # Reached only through the relay at 203.0.113.1 (giaddr 198.51.100.129).
    - { subnet: 198.51.100.128/25, server: 198.51.100.130, router: 198.51.100.129, pools: [198.51.100.200-198.51.100.210] }
`;

const CLIENT = join(REPO, "test", "dhcp", "fixtures", "dora-client.ts");

describe.skipIf(!canUseNetns())("one device-bound socket per interface", () => {
  const lab = new DhcpLab();
  let app = "";
  let lan1 = "";
  let lan2 = "";
  let lan3 = "";
  let server: RunningServer;

  beforeAll(async () => {
    app = lab.net.namespace("app");
    lan1 = lab.net.namespace("lan1");
    lan2 = lab.net.namespace("lan2");
    lan3 = lab.net.namespace("lan3");
    lab.net.link({ ns: app, ifname: "lab0", address: "198.51.100.2/25" }, { ns: lan1, ifname: "eth0" });
    lab.net.link(
      { ns: app, ifname: "lab1", address: "203.0.113.2/24" },
      { ns: lan2, ifname: "eth0", address: "203.0.113.1/24" },
    );
    // A LAN the site does not name.
    lab.net.link({ ns: app, ifname: "lab2", address: "198.51.100.252/30" }, { ns: lan3, ifname: "eth0" });
    // The second LAN holds the default route: a plain 0.0.0.0:67 socket would broadcast there.
    lab.net.exec(app, "ip", "route", "add", "default", "via", "203.0.113.1", "dev", "lab1");
    lab.net.exec(app, "ip", "route", "add", "198.51.100.128/25", "via", "203.0.113.1", "dev", "lab1");
    // The relay agent's address on the relayed network.
    lab.net.exec(lan2, "ip", "addr", "add", "198.51.100.129/32", "dev", "lo");
    server = await lab.serve(app, lab.writeFile("two-lan.yaml", SITE), "memory");
  });

  afterAll(async () => {
    await lab.destroy();
  });

  function udhcpc(ns: string): string {
    // udhcpc reports on stderr; -n makes it fail when nobody answers.
    return lab.net.exec(ns, "sh", "-c", "udhcpc -i eth0 -f -q -n -t 3 -T 1 -s /bin/true 2>&1");
  }

  it("a client on each LAN gets an address from its own subnet", async () => {
    expect(udhcpc(lan1)).toMatch(/lease of 198\.51\.100\.1[01][0-9] obtained from 198\.51\.100\.2/);
    expect(udhcpc(lan2)).toMatch(/lease of 203\.0\.113\.1[01][0-9] obtained from 203\.0\.113\.2/);
    // Events arrive on the server's stdout while this process waits.
    await server.waitFor((e) => e.type === "dhcp.message" && e.reply === "ACK" && e.interface === "lab1");
    const acks = server.events.filter(
      (e): e is DhcpMessageEvent => e.type === "dhcp.message" && e.reply === "ACK",
    );
    expect(acks.map((e) => [e.interface, e.subnet])).toEqual([
      ["lab0", "198.51.100.0/25"],
      ["lab1", "203.0.113.0/24"],
    ]);
  });

  it("a LAN the site does not name gets no answer", () => {
    expect(() => udhcpc(lan3)).toThrow();
    expect(server.events.some((e) => e.type === "dhcp.message" && e.interface === "lab2")).toBe(false);
  });

  it("a relay agent gets unicast replies on port 67 with option 82 echoed", () => {
    const out = lab.net.exec(
      lan2,
      ...NODE_TS,
      CLIENT,
      "relay",
      "203.0.113.2",
      "198.51.100.129",
      "02:00:00:00:77:01",
      "6574683031",
    );
    const replies = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(replies).toHaveLength(2);
    expect(replies.map((r) => r.type)).toEqual([2, 5]);
    for (const reply of replies) {
      expect(reply.from).toBe("203.0.113.2:67");
      expect(reply.giaddr).toBe("198.51.100.129");
      expect(reply.yiaddr).toMatch(/^198\.51\.100\.2(0[0-9]|10)$/);
      expect(reply.router).toBe("198.51.100.129");
      expect(reply.option82).toBe("01056574683031");
    }
  });
});

describe.skipIf(!canUseNetns())("starting and reloading the sockets", () => {
  const lab = new DhcpLab();
  let app = "";
  let lan = "";

  beforeAll(() => {
    app = lab.net.namespace("app");
    lan = lab.net.namespace("lan");
    lab.net.link({ ns: app, ifname: "lab0", address: "198.51.100.2/25" }, { ns: lan, ifname: "eth9" });
    lab.net.link({ ns: app, ifname: "lab1", address: "203.0.113.2/24" }, { ns: lan, ifname: "eth0" });
  });

  afterAll(async () => {
    await lab.destroy();
  });

  it("refuses to start on an interface that does not exist, naming it", async () => {
    const site = lab.writeFile("missing.yaml", SITE);
    await expect(lab.serve(app, site, "memory", ["lab0", "nosuch0"])).rejects.toThrow(
      /interface nosuch0 does not exist/,
    );
  });

  it("a reload that adds an interface starts answering there", async () => {
    const before = lab.writeFile(
      "before.yaml",
      SITE.replace("interfaces: [lab0, lab1]", "interfaces: [lab0]").replace(/^.*interface: lab1.*$/m, ""),
    );
    const after = lab.writeFile("after.yaml", SITE);
    const server = await lab.serve(app, before, "memory", undefined, { RELOAD_SITE: after });
    const udhcpc = () => lab.net.exec(lan, "sh", "-c", "udhcpc -i eth0 -f -q -n -t 2 -T 1 -s /bin/true 2>&1");
    expect(udhcpc).toThrow();
    server.child.kill("SIGHUP");
    await server.waitFor((e) => e.type === "service.state" && e.state === "reloaded");
    expect(udhcpc()).toMatch(/lease of 203\.0\.113\.1[01][0-9] obtained from 203\.0\.113\.2/);
  });
});

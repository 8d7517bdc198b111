/**
 * Real DHCP clients (ISC dhclient, busybox udhcpc, dhcpcd) against the service in network
 * namespaces this test creates: every option of config/site.yaml arrives exactly, a reserved MAC
 * gets its address (also from dhcpcd sending an RFC 4361 DUID client identifier), renew and
 * release work, and tshark finds no malformed packet on the wire.
 */
import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DhcpLeaseEvent, DhcpMessageEvent } from "../../src/observe/events.js";
import { canUseNetns } from "../helpers/netns.js";
import {
  lastBlock,
  setMac as setClientMac,
  startCapture,
  stopCapture,
  writeHook,
  wroteBlock,
} from "./client-hooks.js";
import { DhcpLab, type RunningServer, siteYaml, sleep, waitForFile } from "./dhcp-lab.js";

const DUID_CLIENT_MAC = "00:04:f2:00:00:02";
const DUID_CLIENT_ADDRESS = "198.51.100.51";
const DHCPCD_DUID_FILE = "/var/lib/dhcpcd/duid";

describe.skipIf(!canUseNetns())("real DHCP clients in network namespaces", () => {
  const lab = new DhcpLab();
  const hadDuidFile = existsSync(DHCPCD_DUID_FILE);
  let app = "";
  let client = "";
  let ifname = "";
  let server: RunningServer;
  let capture: ChildProcess;
  const pcap = join(lab.dir, "lab0.pcap");

  const hook = (name: string) => writeHook(lab, name);

  function setMac(mac: string) {
    setClientMac(lab.net, client, ifname, mac);
  }

  function messages(mac: string): DhcpMessageEvent[] {
    return server.events.filter((e): e is DhcpMessageEvent => e.type === "dhcp.message" && e.mac === mac);
  }

  beforeAll(async () => {
    app = lab.net.namespace("app");
    client = lab.net.namespace("cli");
    ifname = `sb${lab.net.id}`;
    lab.net.link({ ns: app, ifname: "lab0", address: "198.51.100.2/24" }, { ns: client, ifname });
    capture = await startCapture(lab.net, app, "lab0", pcap);
    // A second reservation, for the dhcpcd that identifies itself by DUID.
    const site = lab.writeFile(
      "site.yaml",
      siteYaml([
        [
          /^( +)- \{ name: tanjay01, .*$/m,
          `$&\n$1- { name: tanjay02, mac: "${DUID_CLIENT_MAC}", address: ${DUID_CLIENT_ADDRESS} }`,
        ],
      ]),
    );
    server = await lab.serve(app, site, join(lab.dir, "leases"), undefined, { LEASE_SECONDS: "10" });
  });

  afterAll(async () => {
    if (existsSync(`/var/lib/dhcpcd/${ifname}.lease`)) rmSync(`/var/lib/dhcpcd/${ifname}.lease`);
    // dhcpcd keeps its DUID there; remove it only when this test made it.
    if (!hadDuidFile && existsSync(DHCPCD_DUID_FILE)) rmSync(DHCPCD_DUID_FILE);
    await lab.destroy();
  });

  it("ISC dhclient gets every option, renews at T1 and releases", async () => {
    const mac = "02:00:00:00:0d:01";
    setMac(mac);
    const script = hook("dhclient");
    const conf = lab.writeFile(
      "dhclient.conf",
      [
        "option tftp150 code 150 = array of ip-address;",
        "request subnet-mask, routers, domain-name-servers, domain-name, domain-search, ntp-servers,",
        "  tftp-server-name, tftp150, dhcp-lease-time, dhcp-renewal-time, dhcp-rebinding-time;",
      ].join("\n"),
    );
    const files = [
      "-sf",
      script,
      "-lf",
      join(lab.dir, "dhclient.leases"),
      "-pf",
      join(lab.dir, "dhclient.pid"),
      "-cf",
      conf,
    ];
    lab.net.exec(client, "timeout", "20", "dhclient", "-4", "-1", ...files, ifname);
    const out = join(lab.dir, "dhclient.out");
    const bound = lastBlock(await waitForFile(out, wroteBlock("BOUND")), ["BOUND"]);
    expect(bound.get("new_ip_address")).toMatch(/^198\.51\.100\.(1[0-9][0-9])$/);
    expect(bound.get("new_subnet_mask")).toBe("255.255.255.0");
    expect(bound.get("new_routers")).toBe("198.51.100.1");
    expect(bound.get("new_domain_name_servers")).toBe("198.51.100.2");
    expect(bound.get("new_domain_name")).toBe("contoso.com");
    expect(bound.get("new_domain_search")).toBe("contoso.com. fabrikam.com.");
    expect(bound.get("new_ntp_servers")).toBe("198.51.100.2");
    expect(bound.get("new_tftp_server_name")).toBe("198.51.100.2");
    expect(bound.get("new_tftp150")).toBe("198.51.100.2");
    expect(bound.get("new_dhcp_lease_time")).toBe("10");
    expect(bound.get("new_dhcp_renewal_time")).toBe("5");
    // The daemon renews by unicast at T1 (5 s).
    await waitForFile(out, wroteBlock("RENEW"), 15_000);
    const address = bound.get("new_ip_address")!;
    const renewed = await server.waitFor(
      (e) => e.type === "dhcp.message" && e.mac === mac && e.replyReason === "renewing" && e.reply === "ACK",
    );
    expect((renewed as DhcpMessageEvent).address).toBe(address);
    lab.net.exec(client, "timeout", "10", "dhclient", "-4", "-r", ...files, ifname);
    const release = await server.waitFor(
      (e) => e.type === "dhcp.lease" && e.action === "release" && e.mac === mac,
    );
    expect((release as DhcpLeaseEvent).address).toBe(address);
  });

  it("busybox udhcpc with the reserved MAC gets 198.51.100.50, renews on SIGUSR1, releases on SIGUSR2", async () => {
    const mac = "00:04:f2:00:00:01";
    setMac(mac);
    const script = hook("udhcpc");
    const out = join(lab.dir, "udhcpc.out");
    const udhcpc = lab.net.spawn(client, "udhcpc", [
      "-i",
      ifname,
      "-f",
      "-t",
      "5",
      "-T",
      "2",
      "-s",
      script,
      "-O",
      "119",
      "-O",
      "66",
      "-O",
      "42",
      "-O",
      "150",
      "-O",
      "15",
      "-O",
      "6",
    ]);
    const bound = lastBlock(await waitForFile(out, wroteBlock("bound")), ["bound"]);
    expect(bound.get("ip")).toBe("198.51.100.50");
    expect(bound.get("subnet")).toBe("255.255.255.0");
    expect(bound.get("router")).toBe("198.51.100.1");
    expect(bound.get("dns")).toBe("198.51.100.2");
    expect(bound.get("domain")).toBe("contoso.com");
    expect(bound.get("search")).toBe("contoso.com fabrikam.com");
    expect(bound.get("ntpsrv")).toBe("198.51.100.2");
    expect(bound.get("opt150")).toBe("c6336402");
    // The reservation's name goes out as option 12.
    expect(bound.get("hostname")).toBe("tanjay01");
    // Option 66 is "self": this box's address as text.
    expect(bound.get("tftp")).toBe("198.51.100.2");
    const before = messages(mac).length;
    udhcpc.kill("SIGUSR1");
    await waitForFile(out, wroteBlock("renew"), 10_000);
    expect(
      messages(mac)
        .slice(before)
        .some((e) => e.message === "REQUEST" && e.reply === "ACK" && e.address === "198.51.100.50"),
    ).toBe(true);
    udhcpc.kill("SIGUSR2");
    const release = await server.waitFor(
      (e) => e.type === "dhcp.lease" && e.action === "release" && e.mac === mac,
    );
    expect((release as DhcpLeaseEvent).address).toBe("198.51.100.50");
    udhcpc.kill("SIGKILL");
  });

  it("dhcpcd gets every option", async () => {
    const mac = "02:00:00:00:0d:03";
    setMac(mac);
    const script = hook("dhcpcd");
    const conf = lab.writeFile(
      "dhcpcd.conf",
      [
        "noarp",
        "ipv4only",
        // dhcpcd's own table decodes 66 as a bare domain name; a URL is a string.
        "define 66 string tftp_server_name",
        "define 150 array ipaddress tftp150",
        "option domain_search, ntp_servers, tftp_server_name, tftp150, domain_name, domain_name_servers",
      ].join("\n"),
    );
    lab.net.exec(client, "timeout", "30", "dhcpcd", "-f", conf, "-c", script, "-4", "-1", "-B", ifname);
    const bound = lastBlock(readFileSync(join(lab.dir, "dhcpcd.out"), "utf8"), ["BOUND"]);
    expect(bound.get("new_ip_address")).toMatch(/^198\.51\.100\.1[0-9][0-9]$/);
    expect(bound.get("new_routers")).toBe("198.51.100.1");
    expect(bound.get("new_domain_name_servers")).toBe("198.51.100.2");
    expect(bound.get("new_domain_name")).toBe("contoso.com");
    expect(bound.get("new_domain_search")).toBe("contoso.com fabrikam.com");
    expect(bound.get("new_ntp_servers")).toBe("198.51.100.2");
    expect(bound.get("new_tftp_server_name")).toBe("198.51.100.2");
    expect(bound.get("new_tftp150")).toBe("198.51.100.2");
  });

  it("dhcpcd sending a DUID client identifier (RFC 4361) with a reserved MAC gets the reserved address, again after a restart", async () => {
    setMac(DUID_CLIENT_MAC);
    const leaseFile = `/var/lib/dhcpcd/${ifname}.lease`;
    if (existsSync(leaseFile)) rmSync(leaseFile);
    const script = hook("dhcpcd-duid");
    // "duid" as in dhcpcd's shipped configuration: option 61 = ff + IAID + DUID.
    const conf = lab.writeFile("dhcpcd-duid.conf", ["noarp", "ipv4only", "duid"].join("\n"));
    const run = () =>
      lab.net.exec(
        client,
        "timeout",
        "20",
        "dhcpcd",
        "-f",
        conf,
        "-c",
        script,
        "-4",
        "-1",
        "-B",
        "-t",
        "15",
        ifname,
      );
    const out = join(lab.dir, "dhcpcd-duid.out");
    run();
    const bound = lastBlock(readFileSync(out, "utf8"), ["BOUND"]);
    expect(bound.get("new_ip_address")).toBe(DUID_CLIENT_ADDRESS);
    // The reservation's name goes out as option 12.
    expect(bound.get("new_host_name")).toBe("tanjay02");
    const first = (await server.waitFor(
      (e) => e.type === "dhcp.message" && e.mac === DUID_CLIENT_MAC && e.message === "DISCOVER",
    )) as DhcpMessageEvent;
    expect(first.clientId).toMatch(/^ff[0-9a-f]{8}000[1-4]/);
    expect(first).toMatchObject({ reply: "OFFER", replyReason: "reservation", address: DUID_CLIENT_ADDRESS });

    // Restarted, dhcpcd asks for the address it remembers (INIT-REBOOT).
    lab.net.exec(client, "ip", "addr", "flush", "dev", ifname);
    run();
    const rebooted = lastBlock(readFileSync(out, "utf8"), ["BOUND", "REBOOT"]);
    expect(rebooted.get("reason")).toBe("REBOOT");
    expect(rebooted.get("new_ip_address")).toBe(DUID_CLIENT_ADDRESS);
    const reboot = await server.waitFor(
      (e) =>
        e.type === "dhcp.message" &&
        e.mac === DUID_CLIENT_MAC &&
        e.message === "REQUEST" &&
        e.replyReason?.startsWith("init-reboot") === true,
    );
    expect(reboot).toMatchObject({
      reply: "ACK",
      replyReason: "init-reboot: reservation",
      clientId: first.clientId,
      address: DUID_CLIENT_ADDRESS,
    });
  });

  it("tshark finds no malformed packet, and option 66 went out as the exact string", async () => {
    await sleep(500);
    await stopCapture(capture);
    const all = execFileSync("tshark", ["-r", pcap, "-Y", "dhcp"], { encoding: "utf8" });
    expect(all.split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(12);
    const malformed = execFileSync(
      "tshark",
      ["-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity >= 8388608"],
      { encoding: "utf8" },
    );
    expect(malformed).toBe("");
    const tftp = execFileSync(
      "tshark",
      [
        "-r",
        pcap,
        "-Y",
        "dhcp.option.dhcp == 5 && dhcp.hw.mac_addr == 00:04:f2:00:00:01",
        "-T",
        "fields",
        "-e",
        "dhcp.option.tftp_server_name",
      ],
      { encoding: "utf8" },
    );
    const values = new Set(tftp.split("\n").filter(Boolean));
    expect([...values]).toEqual(["198.51.100.2"]);
  });
});

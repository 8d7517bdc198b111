/**
 * The whole appliance in a lab of network namespaces (never the root namespace): `siteboot serve`
 * on the shipped config/site.yaml, a phone namespace that runs real dhclient, dig, sntp, curl and
 * tftp (fetching its own file from the box option 66 names), then the phone's timeline read back
 * through `siteboot timeline`; and SIGTERM in the middle of a DHCP
 * load with every acknowledged lease found in the journal afterwards.
 */
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatIpv4 } from "../../src/config/ipv4.js";
import { FileLeaseStore } from "../../src/dhcp/leases/lease-store.js";
import { NetnsLab } from "../helpers/netns.js";
import { until } from "../helpers/until.js";

const REPO = process.cwd();
const NODE_TS = [process.execPath, "--import", join(REPO, "node_modules", "tsx", "dist", "esm", "index.mjs")];
const SITEBOOT = [...NODE_TS, join(REPO, "src", "main.ts")];
const DORA_CLIENT = join(REPO, "test", "dhcp", "fixtures", "dora-client.ts");
const PHONE_MAC = "00:04:f2:12:34:56";

/** dhclient hook: records what it was given and puts the address on the interface. */
const HOOK = `#!/bin/sh
env | grep -E '^(reason|new_|interface)' | sort > "$(dirname "$0")/dhclient.$reason.env"
if [ "$reason" = BOUND ] || [ "$reason" = REBOOT ]; then
  ip addr add "$new_ip_address/24" dev "$interface"
fi
`;

describe("the appliance in a namespace lab", () => {
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), "siteboot-lab-"));
  let app = "";
  let phone = "";
  let serve: ChildProcess | undefined;
  let output = "";

  function start(stateDir: string): ChildProcess {
    const child = lab.spawn(app, SITEBOOT[0] as string, [
      ...SITEBOOT.slice(1),
      "serve",
      "-c",
      join(REPO, "config", "site.yaml"),
      "--state-dir",
      stateDir,
    ]);
    child.stdout?.on("data", (c: Buffer) => (output += String(c)));
    child.stderr?.on("data", (c: Buffer) => (output += String(c)));
    return child;
  }

  function siteboot(...args: string[]): string {
    return lab.exec(app, SITEBOOT[0] as string, ...SITEBOOT.slice(1), ...args);
  }

  beforeAll(async () => {
    app = lab.namespace("app");
    phone = lab.namespace("phone");
    lab.link({ ns: app, ifname: "lab0", address: "198.51.100.2/24" }, { ns: phone, ifname: "phone0" });
    lab.exec(phone, "ip", "link", "set", "phone0", "down");
    lab.exec(phone, "ip", "link", "set", "phone0", "address", PHONE_MAC);
    lab.exec(phone, "ip", "link", "set", "phone0", "up");
    serve = start(join(dir, "state"));
    await until(
      () => (lab.exec(app, "curl", "-sf", "http://127.0.0.1:8053/healthz").includes("ok") ? true : undefined),
      `healthz (${output})`,
    );
  });

  afterAll(async () => {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a phone gets its lease, resolves its SRV records and its time, and the timeline shows it all in order", async () => {
    const hook = join(dir, "hook.sh");
    writeFileSync(hook, HOOK);
    chmodSync(hook, 0o755);
    writeFileSync(
      join(dir, "dhclient.conf"),
      'send vendor-class-identifier "Polycom-SoundPointIP-SPIP_650";\nrequest subnet-mask, routers, domain-name-servers, domain-name, domain-search, ntp-servers, tftp-server-name;\n',
    );
    lab.exec(
      phone,
      "timeout",
      "20",
      "dhclient",
      "-4",
      "-1",
      "-sf",
      hook,
      "-cf",
      join(dir, "dhclient.conf"),
      "-lf",
      join(dir, "dhclient.leases"),
      "-pf",
      join(dir, "dhclient.pid"),
      "phone0",
    );
    // dhclient stays on as a daemon holding port 68; the load test below needs the port. The
    // daemon writes its pid file after the parent has returned: wait for it.
    const daemon = await until(
      () => {
        const text = readFileSync(join(dir, "dhclient.pid"), "utf8").trim();
        return /^\d+$/.test(text) ? Number(text) : undefined;
      },
      "dhclient's pid file",
      10_000,
    );
    process.kill(daemon, "SIGKILL");
    const bound = readFileSync(join(dir, "dhclient.BOUND.env"), "utf8");
    const address = /new_ip_address=(\S+)/.exec(bound)?.[1] ?? "";
    expect(address).toMatch(/^198\.51\.100\.1\d\d$/);
    expect(bound).toContain("new_domain_search=contoso.com. fabrikam.com.");

    const dig = (name: string, type: string) =>
      lab.exec(phone, "dig", "@198.51.100.2", "+tries=1", "+time=2", "+short", name, type).trim();
    expect(dig("_sipinternaltls._tcp.fabrikam.com", "SRV")).toBe("0 0 5061 pool01.contoso.com.");
    expect(dig("pool01.contoso.com", "A")).toBe("198.51.100.20");
    expect(
      lab.exec(
        phone,
        "dig",
        "@198.51.100.2",
        "+tries=1",
        "+time=2",
        "_sipinternal._tcp.fabrikam.com.contoso.com",
        "SRV",
      ),
    ).toContain("status: NXDOMAIN");
    const sntp = lab.exec(phone, "timeout", "15", "sntp", "198.51.100.2");
    expect(sntp).toMatch(/s10 no-leap/);

    // Option 66 (a Polycom's: the profile's URL, also in 160) names this box, which serves the
    // phone its own file, rendered from the example's template, over HTTP and TFTP alike.
    const url = /new_tftp_server_name=(\S+)/.exec(bound)?.[1] ?? "";
    expect(url).toBe("http://198.51.100.2/polycom/");
    const own = `${PHONE_MAC.replaceAll(":", "")}.cfg`;
    const overHttp = lab.exec(phone, "curl", "-sf", "--max-time", "5", `${url}${own}`);
    expect(overHttp).toContain(`for ${PHONE_MAC} (no reservation)`);
    expect(overHttp).toContain('reg.1.address="lab@fabrikam.com"');
    const overTftp = join(dir, "over-tftp.cfg");
    lab.exec(
      phone,
      "timeout",
      "10",
      "tftp",
      "-m",
      "octet",
      "198.51.100.2",
      "-c",
      "get",
      `polycom/${own}`,
      overTftp,
    );
    expect(readFileSync(overTftp, "utf8")).toBe(overHttp);

    const timeline = await until(() => {
      const text = siteboot("timeline", PHONE_MAC, "-c", join(REPO, "config", "site.yaml"));
      return text.includes("TFTP") ? text : undefined;
    }, "the timeline to show the TFTP fetch");
    const lines = timeline.split("\n");
    expect(lines[0]).toMatch(/^TIME\s+WHAT\s+EVENT$/);
    const events = lines.slice(1).map((l) =>
      l
        .split(/\s{2,}/)
        .slice(1)
        .join("  "),
    );
    const order = [
      // With the phone's vendor class, the options it asked for (dhclient.conf's request line) and those given.
      (e: string) =>
        /^DHCP {2}DISCOVER → OFFER 198\.51\.100\.\d+ {2}vendor "Polycom-SoundPointIP-SPIP_650" {2}asked 1,3,6,15,119,42,66 {2}gave 1,3,6,15,119,42,66,150,160$/.test(
          e,
        ),
      (e: string) => e.startsWith("DHCP  REQUEST → ACK 198.51.100."),
      (e: string) =>
        e === "DNS  SRV _sipinternaltls._tcp.fabrikam.com → NOERROR 0 0 5061 pool01.contoso.com.",
      (e: string) => e === "DNS  A pool01.contoso.com → NOERROR 198.51.100.20",
      (e: string) => e === "DNS  SRV _sipinternal._tcp.fabrikam.com.contoso.com → NXDOMAIN",
      (e: string) => e.startsWith("NTP  NTP v4 → reply stratum 10"),
      (e: string) => /^\S+ {2}HTTP \/polycom\/0004f2123456\.cfg → complete \(\d+ bytes\)$/.test(e),
      (e: string) => /^\S+ {2}TFTP polycom\/0004f2123456\.cfg → complete \(\d+ bytes\)$/.test(e),
    ];
    let at = 0;
    for (const matches of order) {
      const found = events.findIndex((e, i) => i >= at && matches(e));
      expect(found, `${matches} after line ${at} in:\n${timeline}`).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
    const leases = siteboot("leases", "-c", join(REPO, "config", "site.yaml"));
    expect(leases).toMatch(new RegExp(`${address.replaceAll(".", "\\.")}\\s+${PHONE_MAC}\\s+active`));
    const metrics = lab.exec(app, "curl", "-sf", "http://127.0.0.1:8053/metrics");
    expect(metrics).toMatch(/siteboot_dhcp_messages_total\{type="REQUEST",reply="ACK"\} [1-9]/);
    expect(metrics).toMatch(/siteboot_dhcp_pool_addresses\{subnet="198.51.100.0\/24",state="active"\} [1-9]/);
    expect(metrics).toMatch(/siteboot_ntp_requests_total\{outcome="reply"\} [1-9]/);
  });

  it("SIGTERM during a DHCP load: exits 0 within 2 s and every acknowledged lease is in the journal", async () => {
    const state = join(dir, "state");
    // The load client broadcasts from a UDP socket: 255.255.255.255 needs a route out.
    lab.exec(phone, "ip", "route", "add", "default", "dev", "phone0");
    const load = lab.spawn(phone, NODE_TS[0] as string, [
      ...NODE_TS.slice(1),
      DORA_CLIENT,
      "load",
      "02:77",
      "80",
      "400",
      "15",
      "8",
    ]);
    let loadOut = "";
    load.stdout?.on("data", (c: Buffer) => (loadOut += String(c)));
    load.stderr?.on("data", (c: Buffer) => (loadOut += String(c)));
    await until(
      () => ((loadOut.match(/"address"/g)?.length ?? 0) >= 20 ? true : undefined),
      "20 acknowledged leases",
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}; load client said: ${loadOut.slice(0, 500)}; siteboot said: ${output.slice(-1500)}`,
      );
    });
    const stoppedAt = Date.now();
    serve?.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => serve?.once("exit", (c) => r(c)));
    const elapsed = Date.now() - stoppedAt;
    // The server is gone: whatever the client printed by now is every ACK it received.
    await new Promise((r) => setTimeout(r, 300));
    load.kill("SIGKILL");
    await new Promise((r) =>
      load.exitCode !== null || load.signalCode !== null ? r(null) : load.once("exit", r),
    );
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(2000);

    const acked = loadOut
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { mac: string; address: string });
    expect(acked.length).toBeGreaterThanOrEqual(20);
    const store = new FileLeaseStore({ dir: state });
    await store.open();
    try {
      for (const ack of acked) {
        const lease = [...store.all()].find(
          (l) => l.mac === ack.mac && formatIpv4(l.address) === ack.address,
        );
        expect(lease, `${ack.mac} ${ack.address}`).toBeDefined();
      }
    } finally {
      await store.close();
    }
  });
});

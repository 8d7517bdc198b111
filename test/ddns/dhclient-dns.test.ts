/**
 * Lease host names with real peers: `siteboot serve` in a network namespace with `dhcp.ddns`, ISC
 * dhclient in a phone namespace sending `host-name` or `fqdn.fqdn`, and dig from the phone seeing
 * the A and PTR records appear, stay with their first owner, survive a restart and go on release.
 */
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNetns, NetnsLab } from "../helpers/netns.js";
import { ddnsSiteYaml } from "./ddns-harness.js";

const REPO = process.cwd();
const SITEBOOT = [
  process.execPath,
  "--import",
  join(REPO, "node_modules", "tsx", "dist", "esm", "index.mjs"),
  join(REPO, "src", "main.ts"),
];

/** dhclient hook: keeps what it was given per reason and puts the address on the interface. */
const HOOK = `#!/bin/sh
env | grep -E '^(reason|new_|interface)' | sort > "$(dirname "$0")/$(basename "$0" .sh).$reason.env"
case "$reason" in
  BOUND|REBOOT|RENEW) ip addr replace "$new_ip_address/24" dev "$interface" ;;
esac
exit 0
`;

async function until<T>(probe: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!canUseNetns())("lease host names seen by dig after real dhclient leases", () => {
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), "siteboot-ddns-"));
  const siteFile = join(dir, "site.yaml");
  let app = "";
  let phone = "";
  let serve: ChildProcess | undefined;
  let output = "";

  function start(): ChildProcess {
    const child = lab.spawn(app, SITEBOOT[0]!, [
      ...SITEBOOT.slice(1),
      "serve",
      "-c",
      siteFile,
      "--state-dir",
      join(dir, "state"),
    ]);
    child.stdout?.on("data", (c: Buffer) => (output += String(c)));
    child.stderr?.on("data", (c: Buffer) => (output += String(c)));
    return child;
  }

  async function healthy(): Promise<void> {
    await until(
      () => (lab.exec(app, "curl", "-sf", "http://127.0.0.1:8053/healthz").includes("ok") ? true : undefined),
      `healthz (${output.slice(-1500)})`,
    );
  }

  function setMac(mac: string): void {
    lab.exec(phone, "ip", "link", "set", "phone0", "down");
    lab.exec(phone, "ip", "addr", "flush", "dev", "phone0");
    lab.exec(phone, "ip", "link", "set", "phone0", "address", mac);
    lab.exec(phone, "ip", "link", "set", "phone0", "up");
  }

  function dhclientFiles(name: string): string[] {
    const hook = join(dir, `${name}.sh`);
    writeFileSync(hook, HOOK);
    chmodSync(hook, 0o755);
    return [
      "-sf",
      hook,
      "-cf",
      join(dir, `${name}.conf`),
      "-lf",
      join(dir, `${name}.leases`),
      "-pf",
      join(dir, `${name}.pid`),
    ];
  }

  /** A lease for `mac` by dhclient with `conf`; the daemon is killed after BOUND, leaving the lease active. */
  async function lease(name: string, mac: string, conf: string): Promise<Map<string, string>> {
    setMac(mac);
    writeFileSync(join(dir, `${name}.conf`), conf);
    lab.exec(phone, "timeout", "20", "dhclient", "-4", "-1", ...dhclientFiles(name), "phone0");
    // The daemon writes its pid file after it forks: wait for it rather than race it.
    const pidFile = join(dir, `${name}.pid`);
    const pid = await until(() => Number(readFileSync(pidFile, "utf8").trim()) || undefined, `${pidFile}`);
    process.kill(pid, "SIGKILL");
    const env = new Map<string, string>();
    for (const line of readFileSync(join(dir, `${name}.BOUND.env`), "utf8").split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1).replace(/^'|'$/g, ""));
    }
    return env;
  }

  function release(name: string, mac: string, address: string): void {
    setMac(mac);
    lab.exec(phone, "ip", "addr", "add", `${address}/24`, "dev", "phone0");
    lab.exec(phone, "timeout", "10", "dhclient", "-4", "-r", ...dhclientFiles(name), "phone0");
  }

  const dig = (name: string, type: string, ...extra: string[]) =>
    lab.exec(phone, "dig", "@198.51.100.2", "+tries=1", "+time=2", ...extra, name, type);
  const short = (name: string, type: string) => dig(name, type, "+short").trim();
  const ptr = (address: string) =>
    lab.exec(phone, "dig", "@198.51.100.2", "+tries=1", "+time=2", "+short", "-x", address).trim();

  beforeAll(async () => {
    app = lab.namespace("app");
    phone = lab.namespace("phone");
    lab.link({ ns: app, ifname: "lab0", address: "198.51.100.2/24" }, { ns: phone, ifname: "phone0" });
    writeFileSync(siteFile, ddnsSiteYaml());
    serve = start();
    await healthy();
  }, 60_000);

  afterAll(async () => {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("host-name and fqdn.fqdn become A and PTR records; first owner and site.yaml names are kept; names survive a restart and go on release", async () => {
    const a = await lease("phone-a", "02:00:00:0a:00:01", 'send host-name "deskphone-a";\n');
    const addressA = a.get("new_ip_address") ?? "";
    expect(addressA).toMatch(/^198\.51\.100\.\d+$/);
    const answer = dig("deskphone-a.contoso.com", "A");
    expect(answer).toContain("status: NOERROR");
    expect(answer).toMatch(/flags: qr aa/);
    expect(short("deskphone-a.contoso.com", "A")).toBe(addressA);
    expect(ptr(addressA)).toBe("deskphone-a.contoso.com.");

    expect(dig("deskphone-b.contoso.com", "A")).toContain("status: NXDOMAIN");
    // RFC 4702 in wire form, asking the server to do the A update.
    const b = await lease(
      "phone-b",
      "02:00:00:0a:00:02",
      'send fqdn.fqdn "deskphone-b.contoso.com.";\nsend fqdn.encoded on;\nsend fqdn.server-update on;\n',
    );
    const addressB = b.get("new_ip_address") ?? "";
    expect(short("deskphone-b.contoso.com", "A")).toBe(addressB);

    // Another client asking for a held name, and one asking for a name of site.yaml: refused, logged.
    await lease("phone-c", "02:00:00:0a:00:03", 'send host-name "deskphone-a";\n');
    await lease("phone-d", "02:00:00:0a:00:04", 'send host-name "pool01";\n');
    expect(short("deskphone-a.contoso.com", "A")).toBe(addressA);
    expect(short("pool01.contoso.com", "A")).toBe("198.51.100.20");
    const logged = (pattern: RegExp) =>
      until(
        () => (pattern.test(output) ? true : undefined),
        `${pattern} in the log:\n${output.slice(-3000)}`,
        5_000,
      );
    await logged(
      /lease name refuse deskphone-a → 198\.51\.100\.\d+ \(02:00:00:0a:00:03\): deskphone-a\.contoso\.com is held by 02:00:00:0a:00:01/,
    );
    await logged(/lease name refuse pool01 .*pool01\.contoso\.com is defined in site\.yaml/);

    // A restart: the names come back from the lease journal.
    serve?.kill("SIGTERM");
    await new Promise((r) => serve?.once("exit", r));
    serve = start();
    await healthy();
    expect(short("deskphone-a.contoso.com", "A")).toBe(addressA);
    expect(short("deskphone-b.contoso.com", "A")).toBe(addressB);

    release("phone-a", "02:00:00:0a:00:01", addressA);
    await until(
      () => (dig("deskphone-a.contoso.com", "A").includes("status: NXDOMAIN") ? true : undefined),
      "the name to go after RELEASE",
    );
    expect(ptr(addressA)).toBe("");
    expect(short("deskphone-b.contoso.com", "A")).toBe(addressB);
  }, 120_000);
});

/**
 * `siteboot serve` in an appliance namespace and one phone namespace joined by a veth pair, where
 * ISC dhclient takes leases under any MAC and dig asks the appliance. For tests of what real
 * clients see (lease names, the status page).
 */
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab } from "../helpers/netns.js";
import { until } from "../helpers/until.js";

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

export const APPLIANCE_ADDRESS = "198.51.100.2";

export class PhoneLab {
  readonly lab = new NetnsLab();
  readonly dir = mkdtempSync(join(tmpdir(), "siteboot-phones-"));
  app = "";
  phone = "";
  /** What `siteboot serve` printed (JSON log lines). */
  output = "";
  #serve: ChildProcess | undefined;
  #siteFile = join(this.dir, "site.yaml");

  /** Makes the two namespaces and their link (in beforeAll: a skipped suite makes none). */
  setUp(): void {
    this.app = this.lab.namespace("app");
    this.phone = this.lab.namespace("phone");
    this.lab.link(
      { ns: this.app, ifname: "lab0", address: `${APPLIANCE_ADDRESS}/24` },
      { ns: this.phone, ifname: "phone0" },
    );
  }

  /** Starts (or restarts, with the same state folder) `siteboot serve`; resolves when healthy. */
  async serve(siteText?: string, token?: string): Promise<void> {
    if (siteText !== undefined) writeFileSync(this.#siteFile, siteText);
    const args = [
      ...SITEBOOT.slice(1),
      "serve",
      "-c",
      this.#siteFile,
      "--state-dir",
      join(this.dir, "state"),
    ];
    const child = this.lab.spawn(this.app, SITEBOOT[0]!, args);
    child.stdout?.on("data", (c: Buffer) => (this.output += String(c)));
    child.stderr?.on("data", (c: Buffer) => (this.output += String(c)));
    this.#serve = child;
    const auth = token === undefined ? [] : ["-H", `authorization: Bearer ${token}`];
    await until(
      () =>
        this.lab.exec(this.app, "curl", "-sf", ...auth, "http://127.0.0.1:8053/healthz").includes("ok")
          ? true
          : undefined,
      `healthz (${this.output.slice(-1500)})`,
    );
  }

  async stopServing(): Promise<void> {
    const child = this.#serve;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }

  setMac(mac: string): void {
    this.lab.exec(this.phone, "ip", "link", "set", "phone0", "down");
    this.lab.exec(this.phone, "ip", "addr", "flush", "dev", "phone0");
    this.lab.exec(this.phone, "ip", "link", "set", "phone0", "address", mac);
    this.lab.exec(this.phone, "ip", "link", "set", "phone0", "up");
  }

  #dhclientFiles(name: string): string[] {
    const hook = join(this.dir, `${name}.sh`);
    writeFileSync(hook, HOOK);
    chmodSync(hook, 0o755);
    const file = (suffix: string) => join(this.dir, `${name}.${suffix}`);
    return ["-sf", hook, "-cf", file("conf"), "-lf", file("leases"), "-pf", file("pid")];
  }

  /**
   * A lease for `mac` by dhclient with `conf`; the daemon is killed after BOUND, so the lease
   * stays active at the server. Returns the hook's variables (new_ip_address, …).
   */
  async lease(name: string, mac: string, conf: string): Promise<Map<string, string>> {
    this.setMac(mac);
    writeFileSync(join(this.dir, `${name}.conf`), conf);
    this.lab.exec(
      this.phone,
      "timeout",
      "20",
      "dhclient",
      "-4",
      "-1",
      ...this.#dhclientFiles(name),
      "phone0",
    );
    // The daemon writes its pid file after it forks: wait for it rather than race it.
    const pidFile = join(this.dir, `${name}.pid`);
    const pid = await until(() => {
      const written = Number(readFileSync(pidFile, "utf8").trim());
      // Only a whole pid of the dhclient daemon is killed (never a half-written number's process).
      return written > 0 && readFileSync(`/proc/${written}/comm`, "utf8") === "dhclient\n"
        ? written
        : undefined;
    }, pidFile);
    process.kill(pid, "SIGKILL");
    const env = new Map<string, string>();
    for (const line of readFileSync(join(this.dir, `${name}.BOUND.env`), "utf8").split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1).replace(/^'|'$/g, ""));
    }
    return env;
  }

  /** dhclient -r for the lease taken under `name` (the interface gets its MAC and address back). */
  release(name: string, mac: string, address: string): void {
    this.setMac(mac);
    this.lab.exec(this.phone, "ip", "addr", "add", `${address}/24`, "dev", "phone0");
    this.lab.exec(
      this.phone,
      "timeout",
      "10",
      "dhclient",
      "-4",
      "-r",
      ...this.#dhclientFiles(name),
      "phone0",
    );
  }

  /** dig from the phone to the appliance; the whole output. */
  dig(...args: string[]): string {
    return this.lab.exec(this.phone, "dig", `@${APPLIANCE_ADDRESS}`, "+tries=1", "+time=2", ...args);
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

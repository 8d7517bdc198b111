import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/cli/check.js";
import type { HostNetwork } from "../../src/config/host-network.js";
import { canUseNetns, NetnsLab } from "../helpers/netns.js";

const run = promisify(execFile);

const SITE = `site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen:
  address: 198.51.100.2
  interfaces: [lab0, lab9]
dhcp:
  subnets:
    - { subnet: 198.51.100.0/24, interface: lab0, pools: [198.51.100.100-198.51.100.110] }
    - { subnet: 203.0.113.0/24, interface: lab9, server: 203.0.113.2 }
dns: { forward: [127.0.0.1] }
control: { enabled: false }
`;
/** The same site with only the LAN on lab0. */
const ONE_LAN = SITE.replace(", lab9]", "]").replace(/ {4}- \{ subnet: 203.*\n/, "");

const dir = mkdtempSync(join(tmpdir(), "siteboot-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function siteFile(text: string): string {
  const file = join(dir, `site-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function check(file: string, strict: boolean, host: HostNetwork) {
  const err: string[] = [];
  const code = await runCheck(
    file,
    () => {},
    (l) => err.push(l),
    true,
    strict,
    host,
  );
  return { code, err: err.map((l) => l.replace(`${file}:`, "FILE:")) };
}

describe("check on a host that lacks what the file names", () => {
  const host: HostNetwork = { interfaces: ["eth0", "lab0", "lo"], addresses: ["127.0.0.1", "198.51.100.2"] };
  const absent =
    "interface lab9 does not exist on this host (it has eth0, lab0, lo); DHCP cannot be served on it";

  it("warns and passes without --strict", async () => {
    const result = await check(siteFile(SITE), false, host);
    expect(result.code).toBe(0);
    expect(result.err).toEqual([
      `FILE:4:22: listen.interfaces[1]: warning: ${absent}`,
      "FILE:8:44: dhcp.subnets[1].interface: warning: interface lab9 does not exist on this host (it has eth0, lab0, lo); this subnet cannot be served on it",
      "FILE: OK (2 warnings)",
    ]);
  });

  it("fails with --strict, as serve would", async () => {
    const result = await check(siteFile(SITE), true, host);
    expect(result.code).toBe(1);
    expect(result.err[0]).toBe(`FILE:4:22: listen.interfaces[1]: ${absent}`);
    expect(result.err.at(-1)).toBe("FILE: 2 errors, 0 warnings");
  });

  it("--strict keeps other warnings as warnings", async () => {
    expect(await check(siteFile(ONE_LAN), true, host)).toEqual({ code: 0, err: ["FILE: OK"] });
    const result = await check(siteFile(ONE_LAN.replace("[lab0]", "[lab0, lo]")), true, host);
    expect(result).toEqual({
      code: 0,
      err: [
        "FILE:4:22: listen.interfaces[1]: warning: no DHCP subnet is served on interface lo",
        "FILE: OK (1 warning)",
      ],
    });
  });
});

describe.skipIf(!canUseNetns())("check --strict inside a network namespace", () => {
  const lab = new NetnsLab();
  let ns = "";
  beforeAll(() => {
    ns = lab.namespace("check");
    // lab0 exists but is down and has no address: os.networkInterfaces() does not list it.
    lab.exec(ns, "ip", "link", "add", "lab0", "type", "veth", "peer", "name", "lab0p");
  });
  afterAll(() => lab.destroy());

  const cli = (file: string) =>
    run(
      "ip",
      [
        "netns",
        "exec",
        ns,
        process.execPath,
        "--import",
        "tsx",
        "src/main.ts",
        "check",
        "-q",
        "--strict",
        "-c",
        file,
      ],
      {
        timeout: 30_000,
      },
    ).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );

  it("names the absent interface and address, not the one that is down", async () => {
    const result = await cli(siteFile(SITE));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "listen.interfaces[1]: interface lab9 does not exist on this host (it has lab0, lab0p, lo)",
    );
    expect(result.stderr).toContain(
      "listen.address: 198.51.100.2 is not an address of this host (it has 127.0.0.0/8, 127.0.0.1, ::1)",
    );
    expect(result.stderr).not.toMatch(/interface lab0 /);
  });

  it("passes once the file names only what the namespace has", async () => {
    lab.exec(ns, "ip", "addr", "add", "198.51.100.2/24", "dev", "lab0");
    const file = siteFile(ONE_LAN);
    const result = await cli(file);
    expect(result.stderr.trim()).toBe(`${file}: OK`);
    expect(result.code).toBe(0);
  });
});

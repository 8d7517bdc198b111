import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DhcpLab, NODE_TS, siteYaml } from "../dhcp/dhcp-lab.js";
import { canUseNetns } from "../helpers/netns.js";
import { usePgCluster } from "../leases/pg-databases.js";

/**
 * Two siteboot servers (198.51.100.2 and .3, each its own server identifier) on one LAN (a bridge
 * in a namespace of its own) and one PostgreSQL database; busybox udhcpc clients in namespaces of
 * their own. Clients get distinct addresses from whichever server answers first; after server A is
 * killed with -9, new clients are served by B. The database holds every client's lease.
 */

const pg = usePgCluster();
const lab = new DhcpLab();

afterAll(async () => {
  await lab.destroy();
});

function waitForLine(child: ChildProcess, pattern: RegExp, what: string, ms = 20_000): Promise<string> {
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${output}`)), ms);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const match = pattern.exec(output);
      if (match) resolve(match[0]);
      else reject(new Error(`${what} exited (${code}): ${output}`));
    });
  });
}

describe.skipIf(!canUseNetns())("two servers on one database with real clients", () => {
  it("gives distinct addresses from either server, and keeps serving after one is killed with -9", async () => {
    const url = await pg.freshDatabase();
    const net = lab.net;
    const sw = net.namespace("sw");
    net.exec(sw, "ip", "link", "add", "br0", "type", "bridge");
    net.exec(sw, "ip", "link", "set", "br0", "up");
    const attach = (ns: string, ifname: string, port: string, address?: string) => {
      net.link({ ns, ifname, ...(address === undefined ? {} : { address }) }, { ns: sw, ifname: port });
      net.exec(sw, "ip", "link", "set", port, "master", "br0");
    };
    const leases = `\nleases:\n  backend: postgresql\n  url: ${url}\n`;
    const servers = ["198.51.100.2", "198.51.100.3"].map((address, i) => {
      const ns = net.namespace(`srv${i}`);
      attach(ns, "lab0", `p${i}`, `${address}/24`);
      const site = lab.writeFile(
        `site-${i}.yaml`,
        siteYaml([["address: 198.51.100.2 #", `address: ${address} #`]]) + leases,
      );
      const child = net.spawn(ns, NODE_TS[0], [
        ...NODE_TS.slice(1),
        join(import.meta.dirname, "serve-site.ts"),
        site,
        join(lab.dir, `state-${i}`),
      ]);
      return { address, child };
    });
    await Promise.all(servers.map((s) => waitForLine(s.child, /^ready$/m, `server ${s.address}`)));

    const clients = Array.from({ length: 6 }, (_, i) => {
      const ns = net.namespace(`c${i}`);
      attach(ns, "eth0", `c${i}`);
      return { ns, mac: net.exec(ns, "cat", "/sys/class/net/eth0/address").trim() };
    });
    const obtain = async (ns: string) => {
      const udhcpc = net.spawn(ns, "udhcpc", [
        "-i",
        "eth0",
        "-f",
        "-q",
        "-n",
        "-t",
        "8",
        "-T",
        "1",
        "-s",
        "/bin/true",
      ]);
      const line = await waitForLine(udhcpc, /lease of ([\d.]+) obtained from ([\d.]+)/, `udhcpc in ${ns}`);
      const [, address, from] = /lease of ([\d.]+) obtained from ([\d.]+)/.exec(line)!;
      return { address: address!, from: from! };
    };

    const first = await Promise.all(clients.slice(0, 3).map((c) => obtain(c.ns)));
    servers[0]!.child.kill("SIGKILL");
    await new Promise((resolve) => servers[0]!.child.once("exit", resolve));
    const second = await Promise.all(clients.slice(3).map((c) => obtain(c.ns)));

    const all = [...first, ...second];
    expect(new Set(all.map((l) => l.address)).size).toBe(6);
    expect(second.map((l) => l.from)).toEqual(["198.51.100.3", "198.51.100.3", "198.51.100.3"]);
    const rows = await pg
      .cluster()
      .psql(
        "SELECT (address >> 24) || '.' || ((address >> 16) & 255) || '.' || ((address >> 8) & 255) || '.' || (address & 255) || ' ' || mac FROM siteboot_lease4 WHERE state = 'active'",
        url.slice(url.lastIndexOf("/") + 1),
      );
    const stored = new Map(rows.split("\n").map((line) => line.split(" ") as [string, string]));
    clients.forEach((client, i) => {
      expect(stored.get(all[i]!.address), `client ${i}`).toBe(client.mac);
    });
  }, 90_000);
});

/**
 * kill -9 during a load of DORAs: every lease that was ACKed must be in the journal after a
 * restart. Several rounds, each on the journal the previous rounds left.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIpv4 } from "../../src/config/ipv4.js";
import { ethernetKey } from "../../src/dhcp/client-identity.js";
import { FileLeaseStore } from "../../src/dhcp/leases/file-lease-store.js";
import { canUseNetns } from "../helpers/netns.js";
import { DhcpLab, NODE_TS, REPO, siteYaml } from "./dhcp-lab.js";

const CLIENT = join(REPO, "test", "dhcp", "fixtures", "dora-client.ts");
const ROUNDS = 3;
const CLIENTS_PER_ROUND = 60;

describe.skipIf(!canUseNetns())("durability: kill -9 under load", () => {
  const lab = new DhcpLab();
  let app = "";
  let client = "";
  const leaseDir = join(lab.dir, "leases");

  beforeAll(() => {
    app = lab.net.namespace("app");
    client = lab.net.namespace("cli");
    lab.net.link(
      { ns: app, ifname: "lab0", address: "198.51.100.2/24" },
      { ns: client, ifname: "eth0", address: "198.51.100.251/24" },
    );
    // 255.255.255.255 needs a route out.
    lab.net.exec(client, "ip", "route", "add", "default", "dev", "eth0");
  });

  afterAll(async () => {
    await lab.destroy();
  });

  it(`every ACKed lease survives kill -9 (${ROUNDS} rounds)`, async () => {
    const site = lab.writeFile(
      "site.yaml",
      siteYaml([["pools: [198.51.100.100-198.51.100.199]", "pools: [198.51.100.10-198.51.100.249]"]]),
    );
    const acked = new Map<string, string>();
    for (let round = 0; round < ROUNDS; round++) {
      const server = await lab.serve(app, site, leaseDir, undefined, { SERVE_QUIET: "1" });
      const roundAcks: { mac: string; address: string }[] = [];
      const killAfter = 150 + round * 50;
      const load = spawn(
        "ip",
        [
          "netns",
          "exec",
          client,
          ...NODE_TS,
          CLIENT,
          "load",
          `02:${(0x20 + round).toString(16)}`,
          String(CLIENTS_PER_ROUND),
          "100000",
          "15",
          "24",
          String(server.child.pid),
          String(killAfter),
        ],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let buffer = "";
      await new Promise<void>((resolve) => {
        load.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          buffer += chunk;
          const lines = buffer.split("\n");
          buffer = lines.pop() ?? "";
          for (const line of lines) {
            if (!line) continue;
            roundAcks.push(JSON.parse(line));
            // The load generator kills the server itself the moment the killAfter-th ACK arrives.
            if (roundAcks.length === killAfter) resolve();
          }
        });
        load.once("exit", () => resolve());
      });
      await new Promise((resolve) =>
        server.child.exitCode !== null || server.child.signalCode !== null
          ? resolve(null)
          : server.child.once("exit", resolve),
      );
      load.kill("SIGKILL");
      await new Promise((resolve) =>
        load.exitCode !== null || load.signalCode !== null ? resolve(null) : load.once("exit", resolve),
      );
      // ACKs already read from the pipe plus any still buffered count too.
      for (const line of buffer.split("\n")) if (line) roundAcks.push(JSON.parse(line));
      expect(roundAcks.length).toBeGreaterThanOrEqual(killAfter);
      for (const ack of roundAcks) acked.set(ack.mac, ack.address);

      const store = new FileLeaseStore({ dir: leaseDir });
      await store.open();
      const missing: string[] = [];
      for (const [mac, address] of acked) {
        const lease = store.byAddress(parseIpv4(address)!);
        if (!lease || lease.clientKey !== ethernetKey(mac) || lease.state !== "active") {
          missing.push(`${mac} ${address} → ${JSON.stringify(lease)}`);
        }
      }
      await store.close();
      expect(missing).toEqual([]);
    }
    expect(acked.size).toBeGreaterThanOrEqual(CLIENTS_PER_ROUND);
  });
});

/**
 * The direct-path DHCP load generator (test/bench/dhcp-load.c), built with cc, for a tiny bounded
 * load against siteboot's DHCP service in namespaces this test creates: every exchange it counts
 * is one the server saw and answered, and the server saw broadcasts from the LAN, not a relay.
 */
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { DhcpLab, siteYaml, sleep } from "../dhcp/dhcp-lab.js";
import { canUseNetns } from "../helpers/netns.js";
import { runGenerator } from "./dhcp-generators.js";
import { nativeTool } from "./native-tool.js";

describe.skipIf(!canUseNetns())("dhcp-load", () => {
  const lab = new DhcpLab();
  afterAll(() => lab.destroy());

  it("completes and counts each 4-way exchange once, on the direct path", async () => {
    const app = lab.net.namespace("app");
    const client = lab.net.namespace("cli");
    lab.net.link({ ns: app, ifname: "lab0", address: "198.51.100.2/24" }, { ns: client, ifname: "eth0" });
    const site = lab.writeFile("site.yaml", siteYaml());
    const server = await lab.serve(app, site, `${lab.dir}/leases`);
    // 200/s for 1 s from 20 MACs: far below what either side loses.
    const out = execFileSync(
      "ip",
      ["netns", "exec", client, nativeTool("dhcp-load"), "eth0", "200", "1", "20"],
      {
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    const counts = JSON.parse(out) as Record<string, number>;
    expect(counts.discovers).toBeGreaterThanOrEqual(190);
    expect(counts.discovers).toBeLessThanOrEqual(200);
    expect(counts).toMatchObject({
      offers: counts.discovers,
      requests: counts.discovers,
      acks: counts.discovers,
      naks: 0,
      invalid: 0,
      duplicate: 0,
      errors: 0,
    });
    // The server's events arrive through its standard output, a little after the replies.
    const expected = counts.discovers! + counts.acks!;
    const messages = () =>
      server.events.filter((e) => e.type === "dhcp.message") as {
        message: string;
        reply?: string;
        mac: string;
        relay?: string;
        interface?: string;
      }[];
    for (let i = 0; i < 100 && messages().length < expected; i++) await sleep(50);
    const seen = messages();
    expect(seen.filter((m) => m.message === "DISCOVER" && m.reply === "OFFER")).toHaveLength(
      counts.discovers!,
    );
    expect(seen.filter((m) => m.message === "REQUEST" && m.reply === "ACK")).toHaveLength(counts.acks!);
    expect(new Set(seen.map((m) => m.mac)).size).toBe(20);
    expect(seen.every((m) => m.relay === undefined && m.interface === "lab0")).toBe(true);

    // The benchmark's wrapper reads the same report: exchanges per second, nothing odd.
    const run = runGenerator("direct", {
      ns: client,
      ifname: "eth0",
      rate: 100,
      seconds: 1,
      clients: 20,
      pin: false,
    });
    expect(run.rate).toBeGreaterThanOrEqual(95);
    expect(run.rate).toBeLessThanOrEqual(100);
    expect(run.anomalies).toBe("");
    expect(run.generatorCpuMs).toBeGreaterThanOrEqual(0);
  }, 60_000);
});

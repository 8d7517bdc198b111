import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";
import { DdnsHarness, text } from "../ddns/ddns-harness.js";
import { NODE_TS, REPO } from "../dhcp/dhcp-lab.js";
import { exampleSiteText } from "../helpers/example-site.js";
import { canUseNetns, NetnsLab } from "../helpers/netns.js";
import { until } from "../helpers/until.js";
import { usePgCluster } from "../leases/pg-databases.js";

/**
 * `siteboot serve` with its leases in PostgreSQL, started while the database is down, in a
 * namespace lab (never the root namespace): it starts, DNS answers, DHCP answers nothing and the
 * log says why; once the database starts, DHCP answers within the retry backoff, and /metrics
 * shows the connection, then a reconnect after a database restart.
 */

const pg = usePgCluster();
const lab = new NetnsLab();
const dir = mkdtempSync(join(tmpdir(), "siteboot-nodb-"));

const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** One udhcpc run in `ns` (`tries` DISCOVERs a second apart): the address it obtained, if any. */
function obtain(ns: string, tries: number): string | undefined {
  const result = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      ns,
      "udhcpc",
      "-i",
      "phone0",
      "-f",
      "-q",
      "-n",
      "-t",
      String(tries),
      "-T",
      "1",
      "-s",
      "/bin/true",
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  return /lease of ([\d.]+) obtained/.exec(`${result.stdout}${result.stderr}`)?.[1];
}

describe.skipIf(!canUseNetns())("siteboot serve while its lease database is down", () => {
  it("serves DNS at once, DHCP only once the database is reached, and counts it in /metrics", async () => {
    const app = lab.namespace("app");
    const phone = lab.namespace("phone");
    lab.link({ ns: app, ifname: "lab0", address: "198.51.100.2/24" }, { ns: phone, ifname: "phone0" });
    const site = join(dir, "site.yaml");
    writeFileSync(
      site,
      `${exampleSiteText()}\nleases:\n  backend: postgresql\n  url: ${pg.cluster().url}\n  pool: { connectTimeout: 1s, reconnectInterval: 250ms }\n`,
    );
    const metric = (name: string) => {
      const text = lab.exec(app, "curl", "-sf", "http://127.0.0.1:8053/metrics");
      const line = text.split("\n").find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    };

    await pg.cluster().stop("immediate");
    let output = "";
    let serve: ChildProcess | undefined;
    try {
      serve = lab.spawn(app, NODE_TS[0], [
        ...NODE_TS.slice(1),
        join(REPO, "src", "main.ts"),
        "serve",
        "-c",
        site,
        "--state-dir",
        join(dir, "state"),
      ]);
      serve.stdout?.on("data", (c: Buffer) => (output += String(c)));
      serve.stderr?.on("data", (c: Buffer) => (output += String(c)));
      // Up and answering, but unhealthy (503) while the lease database is out of reach.
      const health = () => lab.exec(app, "curl", "-s", "http://127.0.0.1:8053/healthz").trim();
      await until(() => (health() === "unhealthy" ? true : undefined), `healthz (${output})`);
      expect(JSON.parse(lab.exec(app, "curl", "-sf", "http://127.0.0.1:8053/status"))).toMatchObject({
        leaseDatabase: "unreachable",
      });
      expect(output).toMatch(/is unreachable at start \(.*\); DHCP answers nothing until it is reached/);
      const dig = lab.exec(
        app,
        "dig",
        "@127.0.0.1",
        "+tries=1",
        "+time=2",
        "+short",
        "pool01.contoso.com",
        "A",
      );
      expect(dig.trim()).toBe("198.51.100.20");
      expect(obtain(phone, 3)).toBeUndefined();
      expect(metric("siteboot_leases_pg_connected")).toBe(0);
      // One line for each of the first three failed attempts, then quiet (the fourth came at 3.75 s).
      await until(() => (/further attempts are logged only/.test(output) ? true : undefined), "3 attempts");
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(output.match(/still unreachable/g)).toHaveLength(3);
    } finally {
      await pg.cluster().start();
    }
    expect(obtain(phone, 15)).toMatch(/^198\.51\.100\.1\d\d$/);
    // spawnSync held the event loop: let the server's output arrive.
    await until(() => (/reached after/.test(output) ? true : undefined), "the connected line");
    expect(output).toMatch(/reached after \d+ attempts, 0 leases loaded; DHCP answers from now on/);
    expect(metric("siteboot_leases_pg_connected")).toBe(1);
    expect(metric("siteboot_leases_pg_reconnects_total")).toBe(0);
    expect(lab.exec(app, "curl", "-sf", "http://127.0.0.1:8053/healthz").trim()).toBe("ok");

    await pg.cluster().stop("immediate");
    await pg.cluster().start();
    await until(
      () => (metric("siteboot_leases_pg_reconnects_total") === 1 ? true : undefined),
      "a reconnect",
    );
    expect(metric("siteboot_leases_pg_connected")).toBe(1);
    expect(serve.exitCode).toBeNull();
  }, 90_000);
});

describe("the DHCP service on a lease database down at start", () => {
  it("answers nothing, then serves the database's leases and their host names in DNS once reached", async () => {
    const url = await pg.freshDatabase();
    const first = new PgLeaseStore({ url });
    const before = await DdnsHarness.start(undefined, first);
    const ack = await before.lease("02:00:00:00:07:01", [[12, text("DeskPhone7")]]);
    await before.stop();
    await first.close();

    await pg.cluster().stop("immediate");
    const store = new PgLeaseStore({ url, reconnectIntervalMs: 100, connectTimeoutMs: 1000 });
    let h: DdnsHarness;
    try {
      h = await DdnsHarness.start(undefined, store);
      cleanups.push(async () => {
        await h.stop();
        await store.close();
      });
      expect(h.ask("deskphone7.contoso.com", "A").rcode).toBe("NXDOMAIN");
      // No OFFER: the service does not even decide while the leases are not loaded.
      await expect(h.lease("02:00:00:00:07:02")).rejects.toThrow(/did not handle the message/);
    } finally {
      await pg.cluster().start();
    }
    await until(() => (store.serving ? true : undefined), "the store to connect", 10_000);
    expect(h.ask("deskphone7.contoso.com", "A").answer).toEqual([
      `deskphone7.contoso.com. 300 A 198.51.100.${ack.yiaddr & 255}`,
    ]);
    const second = await h.lease("02:00:00:00:07:02");
    expect(second.yiaddr).not.toBe(ack.yiaddr);
  }, 60_000);
});

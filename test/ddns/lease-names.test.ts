/**
 * Lease host names in DNS, driven through the DHCP service and answered by the DNS engine: names
 * appear on ACK, go on RELEASE and expiry, follow a moved lease, survive a restart (rebuilt from
 * the lease store), and the conflict rule keeps site.yaml's names and first owners.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileLeaseStore } from "../../src/dhcp/leases/file-lease-store.js";
import { DdnsHarness, ddnsSiteYaml, ipText, loadDdnsSite, text } from "./ddns-harness.js";

const running: DdnsHarness[] = [];
async function start(...args: Parameters<typeof DdnsHarness.start>): Promise<DdnsHarness> {
  const harness = await DdnsHarness.start(...args);
  running.push(harness);
  return harness;
}

afterEach(async () => {
  for (const harness of running.splice(0)) await harness.stop();
});

const reverse = (address: string) => `${address.split(".").reverse().join(".")}.in-addr.arpa`;

describe("lease host names", () => {
  it("serves option 12 as an A record in the zone and the PTR in the reverse zone", async () => {
    const h = await start();
    expect(h.ask("deskphone7.contoso.com", "A").rcode).toBe("NXDOMAIN");
    const ack = await h.lease("02:00:00:00:07:01", [[12, text("DeskPhone7")]]);
    const address = ipText(ack.yiaddr);
    const a = h.ask("deskphone7.contoso.com", "A");
    expect(a.rcode).toBe("NOERROR");
    expect(a.flags).toContain("aa");
    expect(a.answer).toEqual([`deskphone7.contoso.com. 300 A ${address}`]);
    expect(h.ask(reverse(address), "PTR").answer).toEqual([
      `${reverse(address)}. 300 PTR deskphone7.contoso.com.`,
    ]);
    // Other types at the name: NODATA with the zone's SOA, not NXDOMAIN.
    const aaaa = h.ask("deskphone7.contoso.com", "AAAA");
    expect(aaaa.rcode).toBe("NOERROR");
    expect(aaaa.answer).toEqual([]);
    expect(aaaa.authority[0]).toMatch(/^contoso\.com\. 300 SOA /);
    expect(h.nameEvents().map((e) => [e.action, e.name, e.address])).toEqual([
      ["add", "deskphone7.contoso.com", address],
    ]);
  });

  it("withdraws the name on RELEASE (A and PTR), so a kept answer is not served stale", async () => {
    const h = await start();
    const ack = await h.lease("02:00:00:00:07:02", [[12, text("release-me")]]);
    expect(h.ask("release-me.contoso.com", "A").rcode).toBe("NOERROR");
    await h.release("02:00:00:00:07:02", ack.yiaddr);
    expect(h.ask("release-me.contoso.com", "A").rcode).toBe("NXDOMAIN");
    expect(h.ask(reverse(ipText(ack.yiaddr)), "PTR").answer).toEqual([]);
    expect(h.nameEvents().at(-1)).toMatchObject({ action: "remove", reason: "released" });
  });

  it("withdraws the name when the lease expires, and a later client may take it", async () => {
    const h = await start();
    await h.lease("02:00:00:00:07:03", [[12, text("shortlived")]]);
    const leaseSeconds = h.site.dhcp.subnets[0]!.leaseTimeSeconds;
    h.now += leaseSeconds * 1000 + 1;
    // Past its end the name is free even before the reclaim writes the expiry...
    const second = await h.lease("02:00:00:00:07:04", [[12, text("shortlived")]]);
    expect(h.ask("shortlived.contoso.com", "A").answer).toEqual([
      `shortlived.contoso.com. 300 A ${ipText(second.yiaddr)}`,
    ]);
    // ...and the reclaim of the first lease does not take it from the new owner.
    await h.reclaim();
    expect(h.ask("shortlived.contoso.com", "A").answer).toHaveLength(1);
    h.now += leaseSeconds * 1000 + 1;
    await h.reclaim();
    expect(h.ask("shortlived.contoso.com", "A").rcode).toBe("NXDOMAIN");
    expect(h.nameEvents().at(-1)).toMatchObject({ action: "remove", reason: "expired" });
  });

  it("never overwrites a name defined in site.yaml, and logs the refusal", async () => {
    const h = await start();
    await h.lease("02:00:00:00:07:05", [[12, text("pool01")]]);
    expect(h.ask("pool01.contoso.com", "A").answer).toEqual(["pool01.contoso.com. 3600 A 198.51.100.20"]);
    expect(h.nameEvents()).toEqual([
      expect.objectContaining({
        action: "refuse",
        name: "pool01",
        reason: "pool01.contoso.com is defined in site.yaml",
      }),
    ]);
  });

  it("keeps a name with its first owner; the second client is refused until the first lets go", async () => {
    const h = await start();
    const first = await h.lease("02:00:00:00:07:06", [[12, text("shared")]]);
    const second = await h.lease("02:00:00:00:07:07", [[12, text("shared")]]);
    expect(h.ask("shared.contoso.com", "A").answer).toEqual([
      `shared.contoso.com. 300 A ${ipText(first.yiaddr)}`,
    ]);
    expect(h.ask(reverse(ipText(second.yiaddr)), "PTR").answer).toEqual([]);
    expect(h.nameEvents().at(-1)).toMatchObject({
      action: "refuse",
      mac: "02:00:00:00:07:07",
      reason: `shared.contoso.com is held by 02:00:00:00:07:06 (${ipText(first.yiaddr)})`,
    });
    await h.release("02:00:00:00:07:06", first.yiaddr);
    // The second client gets the name at its next renewal (the server does not rename on its own).
    await h.lease("02:00:00:00:07:07", [[12, text("shared")]]);
    expect(h.ask("shared.contoso.com", "A").answer).toEqual([
      `shared.contoso.com. 300 A ${ipText(second.yiaddr)}`,
    ]);
  });

  it("refuses host names that are not valid DNS labels, hostile text included", async () => {
    const h = await start();
    await h.lease("02:00:00:00:07:08", [[12, text('<img src=x onerror="alert(1)">')]]);
    await h.lease("02:00:00:00:07:09", [[12, text("-leading-hyphen")]]);
    expect(h.nameEvents().map((e) => [e.action, e.reason])).toEqual([
      ["refuse", "not a valid host name"],
      ["refuse", "not a valid host name"],
    ]);
    expect(h.names.size).toBe(0);
  });

  it("uses the reservation's name over what the client sends", async () => {
    const h = await start();
    const ack = await h.lease("00:04:f2:00:00:01", [[12, text("something-else")]]);
    expect(ipText(ack.yiaddr)).toBe("198.51.100.50");
    expect(h.ask("tanjay01.contoso.com", "A").answer).toEqual(["tanjay01.contoso.com. 300 A 198.51.100.50"]);
    expect(h.ask("something-else.contoso.com", "A").rcode).toBe("NXDOMAIN");
  });

  it("places a name from another domain in the zone by its first label; keeps names inside the zone", async () => {
    const h = await start();
    await h.lease("02:00:00:00:07:0a", [[12, text("phone10.example.org")]]);
    await h.lease("02:00:00:00:07:0b", [[12, text("phone11.lab.contoso.com")]]);
    expect(h.ask("phone10.contoso.com", "A").rcode).toBe("NOERROR");
    expect(h.ask("phone11.lab.contoso.com", "A").rcode).toBe("NOERROR");
    expect(h.ask("lab.contoso.com", "A").rcode).toBe("NOERROR"); // empty non-terminal: NODATA
  });

  it("follows a client that renames itself: the old name goes, the new one comes", async () => {
    const h = await start();
    await h.lease("02:00:00:00:07:0c", [[12, text("before")]]);
    await h.lease("02:00:00:00:07:0c", [[12, text("after")]]);
    expect(h.ask("before.contoso.com", "A").rcode).toBe("NXDOMAIN");
    expect(h.ask("after.contoso.com", "A").rcode).toBe("NOERROR");
  });

  it("serves no names without dhcp.ddns", async () => {
    const h = await start(loadDdnsSite(ddnsSiteYaml().replace(/^ {2}ddns: .*\n/m, "")));
    await h.lease("02:00:00:00:07:0d", [[12, text("unnamed")]]);
    expect(h.ask("unnamed.contoso.com", "A").rcode).toBe("NXDOMAIN");
    expect(h.nameEvents()).toEqual([]);
  });

  it("leaves out the PTR with reverse: false", async () => {
    const h = await start(loadDdnsSite(ddnsSiteYaml("{ zone: contoso.com, reverse: false, ttl: 1m }")));
    const ack = await h.lease("02:00:00:00:07:0e", [[12, text("noptr")]]);
    expect(h.ask("noptr.contoso.com", "A").answer).toEqual([`noptr.contoso.com. 60 A ${ipText(ack.yiaddr)}`]);
    expect(h.ask(reverse(ipText(ack.yiaddr)), "PTR").answer).toEqual([]);
  });

  it("survives a restart: names come back from the lease journal, first owners first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siteboot-ddns-"));
    try {
      const h = await start(loadDdnsSite(), new FileLeaseStore({ dir }));
      const first = await h.lease("02:00:00:00:07:10", [[12, text("journaled")]]);
      await h.lease("02:00:00:00:07:11", [[12, text("journaled")]]);
      await h.stop();
      await h.leases.close();
      running.splice(running.indexOf(h), 1);

      const again = await start(loadDdnsSite(), new FileLeaseStore({ dir }));
      again.now = h.now;
      expect(again.ask("journaled.contoso.com", "A").answer).toEqual([
        `journaled.contoso.com. 300 A ${ipText(first.yiaddr)}`,
      ]);
      expect(again.nameEvents()).toEqual([
        expect.objectContaining({ action: "refuse", mac: "02:00:00:00:07:11" }),
      ]);
      await again.stop();
      await again.leases.close();
      running.splice(running.indexOf(again), 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives a name up when a reload defines it in site.yaml", async () => {
    const h = await start();
    await h.lease("02:00:00:00:07:12", [[12, text("newly-static")]]);
    expect(h.names.entries().map((e) => e.name)).toEqual(["newly-static.contoso.com"]);
    const reloaded = loadDdnsSite(
      ddnsSiteYaml("{ zone: contoso.com }", [
        [/^ {6}- prov .*$/m, "$&\n      - newly-static A 198.51.100.30"],
      ]),
    );
    const events = h.names.rebuild(reloaded, h.leases.all(), h.now);
    expect(h.names.size).toBe(0);
    expect(events).toEqual([
      expect.objectContaining({
        action: "refuse",
        reason: "newly-static.contoso.com is defined in site.yaml",
      }),
    ]);
  });
});

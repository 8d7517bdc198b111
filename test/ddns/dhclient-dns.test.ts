/**
 * Lease host names with real peers: `siteboot serve` in a network namespace with `dhcp.ddns`, ISC
 * dhclient in a phone namespace sending `host-name` or `fqdn.fqdn`, and dig from the phone seeing
 * the A and PTR records appear, stay with their first owner, survive a restart and go on release.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canUseNetns } from "../helpers/netns.js";
import { until } from "../helpers/until.js";
import { ddnsSiteYaml } from "./ddns-harness.js";
import { PhoneLab } from "./phone-lab.js";

describe.skipIf(!canUseNetns())("lease host names seen by dig after real dhclient leases", () => {
  const lab = new PhoneLab();
  const short = (name: string, type: string) => lab.dig("+short", name, type).trim();
  const ptr = (address: string) => lab.dig("+short", "-x", address).trim();

  beforeAll(async () => {
    lab.setUp();
    await lab.serve(ddnsSiteYaml());
  }, 60_000);

  afterAll(() => lab.destroy());

  it("host-name and fqdn.fqdn become A and PTR records; first owner and site.yaml names are kept; names survive a restart and go on release", async () => {
    const a = await lab.lease("phone-a", "02:00:00:0a:00:01", 'send host-name "deskphone-a";\n');
    const addressA = a.get("new_ip_address") ?? "";
    expect(addressA).toMatch(/^198\.51\.100\.\d+$/);
    const answer = lab.dig("deskphone-a.contoso.com", "A");
    expect(answer).toContain("status: NOERROR");
    expect(answer).toMatch(/flags: qr aa/);
    expect(short("deskphone-a.contoso.com", "A")).toBe(addressA);
    expect(ptr(addressA)).toBe("deskphone-a.contoso.com.");

    expect(lab.dig("deskphone-b.contoso.com", "A")).toContain("status: NXDOMAIN");
    // RFC 4702 in wire form, asking the server to do the A update.
    const b = await lab.lease(
      "phone-b",
      "02:00:00:0a:00:02",
      'send fqdn.fqdn "deskphone-b.contoso.com.";\nsend fqdn.encoded on;\nsend fqdn.server-update on;\n',
    );
    const addressB = b.get("new_ip_address") ?? "";
    expect(short("deskphone-b.contoso.com", "A")).toBe(addressB);
    // The ACK's option 81 as dhclient read it: S=1 (the server serves the A record), E echoed, N=0.
    expect(b.get("new_fqdn")?.startsWith("5:ff:ff:")).toBe(true);
    expect(b.get("new_fqdn_server_update")).toBe("true");
    expect(b.get("new_fqdn_no_client_update")).toBe("false");
    expect(b.get("new_fqdn_encoded")).toBe("true");
    expect([b.get("new_fqdn_rcode1"), b.get("new_fqdn_rcode2")]).toEqual(["255", "255"]);
    expect(b.get("new_fqdn_fqdn")).toBe("deskphone-b.contoso.com");

    // Another client asking for a held name, and one asking for a name of site.yaml: refused, logged.
    const c = await lab.lease(
      "phone-c",
      "02:00:00:0a:00:03",
      'send fqdn.fqdn "deskphone-a.";\nsend fqdn.encoded on;\nsend fqdn.server-update on;\n',
    );
    // Refused: S=0 with O=1 (the client asked for S=1), N=1, E echoed: flags 0x0e.
    expect(c.get("new_fqdn")?.startsWith("e:ff:ff:")).toBe(true);
    expect(c.get("new_fqdn_server_update")).toBe("false");
    expect(c.get("new_fqdn_no_client_update")).toBe("true");
    await lab.lease("phone-d", "02:00:00:0a:00:04", 'send host-name "pool01";\n');
    expect(short("deskphone-a.contoso.com", "A")).toBe(addressA);
    expect(short("pool01.contoso.com", "A")).toBe("198.51.100.20");
    const logged = (pattern: RegExp) =>
      until(
        () => (pattern.test(lab.output) ? true : undefined),
        `${pattern} in the log:\n${lab.output.slice(-3000)}`,
        5_000,
      );
    await logged(
      /lease name refuse deskphone-a → 198\.51\.100\.\d+ \(02:00:00:0a:00:03\): deskphone-a\.contoso\.com is held by 02:00:00:0a:00:01/,
    );
    await logged(/lease name refuse pool01 .*pool01\.contoso\.com is defined in site\.yaml/);

    // A restart: the names come back from the lease journal.
    await lab.stopServing();
    await lab.serve();
    expect(short("deskphone-a.contoso.com", "A")).toBe(addressA);
    expect(short("deskphone-b.contoso.com", "A")).toBe(addressB);

    lab.release("phone-a", "02:00:00:0a:00:01", addressA);
    await until(
      () => (lab.dig("deskphone-a.contoso.com", "A").includes("status: NXDOMAIN") ? true : undefined),
      "the name to go after RELEASE",
    );
    expect(ptr(addressA)).toBe("");
    expect(short("deskphone-b.contoso.com", "A")).toBe(addressB);
  }, 120_000);
});

/**
 * ntp.isolatedLab: the time server names phones have built in answer A self, authoritatively, so
 * phones in a lab without internet still find a time server (this box).
 */
import { describe, expect, it } from "vitest";
import { formatSite } from "../../src/cli/print-site.js";
import type { Site } from "../../src/config/site.js";
import { BUILT_IN_TIME_NAMES } from "../../src/config/time-names.js";
import { answerQuery, createEngine } from "../../src/dns/engine.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { typeCode } from "../../src/dns/wire.js";
import { decodeReply } from "../dns/site-fixture.js";
import { load, problems } from "./profile-site.js";

function ask(site: Site, name: string, type = "A") {
  const engine = createEngine(site.dns);
  const query = encodeQuery({ name, type: typeCode(type)!, id: 7, edns: { udpSize: 1232 } });
  const reply = answerQuery(engine, query, { address: "198.51.100.150", port: 40000, transport: "udp" });
  if (!(reply instanceof Buffer)) throw new Error("expected a synchronous reply");
  return decodeReply(reply);
}

describe("ntp.isolatedLab", () => {
  it("answers the built-in names with A self and AA, and no other name of their domains", () => {
    const site = load("ntp: { stratum: local, isolatedLab: true }\n");
    for (const name of [
      "time.windows.com",
      "pool.ntp.org",
      "0.pool.ntp.org",
      "3.north-america.pool.ntp.org",
      "cn.pool.ntp.org",
    ]) {
      const r = ask(site, name);
      expect([name, r.rcode, r.flags, r.answer]).toEqual([
        name,
        "NOERROR",
        "qr aa rd",
        [`${name}. 3600 A 198.51.100.2`],
      ]);
    }
    expect(ask(site, "www.windows.com").rcode).toBe("REFUSED");
    expect(ask(site, "time.windows.com", "AAAA")).toMatchObject({ rcode: "NOERROR", answer: [] });
    expect(site.profiles?.timeNames).toEqual(expect.arrayContaining([...BUILT_IN_TIME_NAMES]));
  });

  it("is off by default: time.windows.com stays outside the site", () => {
    expect(ask(load(""), "time.windows.com").rcode).toBe("REFUSED");
  });

  it("takes a list of names, with the numbered variants of pool.ntp.org names", () => {
    const site = load("ntp:\n  isolatedLab: [time.google.com, europe.pool.ntp.org]\n");
    expect(site.profiles?.timeNames).toEqual([
      "time.google.com",
      "europe.pool.ntp.org",
      "0.europe.pool.ntp.org",
      "1.europe.pool.ntp.org",
      "2.europe.pool.ntp.org",
      "3.europe.pool.ntp.org",
    ]);
    expect(ask(site, "time.google.com").answer).toEqual(["time.google.com. 3600 A 198.51.100.2"]);
    expect(ask(site, "time.windows.com").rcode).toBe("REFUSED");
    // The record points at the list item that asked for it.
    const record = site.dns.zones.flatMap((z) => z.records).find((r) => r.name === "2.europe.pool.ntp.org");
    expect([record?.source?.line, record?.source?.col, record?.profile]).toEqual([7, 34, "isolatedLab"]);
  });

  it("is listed by check", () => {
    const text = formatSite(load("ntp: { isolatedLab: [time.windows.com] }\n"));
    expect(text).toContain("# isolated-lab time: 1 time server names answer A 198.51.100.2 (authoritative):");
    expect(text).toContain("#   time.windows.com");
    expect(text).toMatch(
      /^time\.windows\.com\. +3600 IN A +198\.51\.100\.2 +; lab\.yaml:6:22 \(profile isolatedLab\)$/m,
    );
  });

  it("yields to a record written in a zone, and reports bad names and a disabled NTP at their lines", () => {
    const site = load(`dns:
  zones:
    windows.com: [time A 198.51.100.7]
ntp: { isolatedLab: true }
`);
    expect(ask(site, "time.windows.com").answer).toEqual(["time.windows.com. 3600 A 198.51.100.7"]);
    expect(site.profiles?.overridden.map((o) => `${o.what} by line ${o.by.line}`)).toEqual([
      "time.windows.com A 198.51.100.2 by line 8",
    ]);
    expect(problems("ntp:\n  enabled: false\n  isolatedLab: [localhost, 'a..b']\n")).toEqual([
      'lab.yaml:8:17: ntp.isolatedLab[0]: "localhost" is not a host name',
      'lab.yaml:8:28: ntp.isolatedLab[1]: "a..b" has an empty label (two dots in a row)',
      "lab.yaml:8:16: ntp.isolatedLab: warning: ntp.enabled is false: the time names point at this box, which does not answer NTP",
    ]);
  });
});

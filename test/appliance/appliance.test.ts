import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { StartupError } from "../../src/appliance.js";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { LoopbackAppliance, loopbackSiteText } from "./loopback-site.js";

const run = promisify(execFile);
let current: LoopbackAppliance | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function started(text?: string, options?: { watchFile?: boolean }): Promise<LoopbackAppliance> {
  current = new LoopbackAppliance(text, options);
  await current.appliance.start();
  return current;
}

async function digShort(port: number, name: string, type = "A"): Promise<string> {
  const { stdout } = await run("dig", [
    "@127.0.0.1",
    "-p",
    String(port),
    "+tries=1",
    "+time=2",
    "+short",
    name,
    type,
  ]);
  return stdout.trim();
}

async function digStatus(port: number, name: string, type = "A"): Promise<string> {
  const { stdout } = await run("dig", ["@127.0.0.1", "-p", String(port), "+tries=1", "+time=2", name, type]);
  return /status: (\w+)/.exec(stdout)?.[1] ?? "none";
}

describe("the appliance on loopback", () => {
  it("serves DNS, NTP and the control endpoint from one site file", async () => {
    const a = await started();
    expect(await digShort(a.dnsPort, "_sipinternaltls._tcp.fabrikam.com", "SRV")).toBe(
      "0 0 5061 pool01.contoso.com.",
    );
    const health = await fetch(`${a.controlUrl}/healthz`);
    expect(health.status).toBe(200);
    const status = (await (await fetch(`${a.controlUrl}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      site: "contoso-lab",
      services: { dhcp: "disabled", dns: "running", ntp: "running", control: "running" },
    });
  });

  it("binds the control endpoint to loopback only by default", async () => {
    const a = await started();
    expect(new URL(a.controlUrl).hostname).toBe("127.0.0.1");
  });

  it("reloads a valid file: new records answer on the same sockets", async () => {
    const a = await started();
    const port = a.dnsPort;
    expect(await digStatus(port, "lab-printer.contoso.com")).toBe("NXDOMAIN");
    a.write(loopbackSiteText(["lab-printer A 198.51.100.77"]));
    expect(await a.appliance.reload("test")).toBe(true);
    expect(a.dnsPort).toBe(port);
    expect(await digShort(port, "lab-printer.contoso.com")).toBe("198.51.100.77");
  });

  it("keeps serving the old site when the new file is invalid, and logs FILE:LINE:COL", async () => {
    const a = await started();
    a.write(loopbackSiteText(["broken A 10.1"]));
    expect(await a.appliance.reload("test")).toBe(false);
    expect(await digShort(a.dnsPort, "sip.fabrikam.com")).toBe("198.51.100.20");
    const rejected = a.logs.filter((l) => l.includes("reload rejected"));
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]).toMatch(
      /site\.yaml:\d+:\d+: dns\.zones\.contoso\.com\[0\]: A data: expected an IPv4 address/,
    );
    const status = (await (await fetch(`${a.controlUrl}/status`)).json()) as { reloads: { failed: number } };
    expect(status.reloads.failed).toBe(1);
  });

  it("reloads when the file changes on disk", async () => {
    const a = await started(undefined, { watchFile: true });
    a.write(loopbackSiteText(["watched A 198.51.100.78"]));
    const deadline = Date.now() + 5000;
    let answer = "";
    while (Date.now() < deadline && answer !== "198.51.100.78") {
      await new Promise((r) => setTimeout(r, 100));
      answer = await digShort(a.dnsPort, "watched.contoso.com");
    }
    expect(answer).toBe("198.51.100.78");
  });

  it("drops no query while reloading under load", async () => {
    const a = await started();
    const socket = createSocket("udp4");
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
    const answered = new Set<number>();
    let wrong = 0;
    socket.on("message", (msg) => {
      const id = msg.readUInt16BE(0);
      const rcode = msg[3]! & 0x0f;
      const ancount = msg.readUInt16BE(6);
      if (rcode !== 0 || ancount !== 1) wrong++;
      answered.add(id);
    });
    const total = 3000;
    const reloads: Promise<boolean>[] = [];
    // Bounded: 3000 queries in windows of 50, five reloads spread across them.
    for (let id = 0; id < total; id++) {
      socket.send(encodeQuery({ id, name: "sip.fabrikam.com", type: 1 }), a.dnsPort, "127.0.0.1");
      if (id % 600 === 300) {
        a.write(loopbackSiteText([`extra${id} A 198.51.100.${(id % 200) + 1}`]));
        reloads.push(a.appliance.reload("load test"));
      }
      if (id % 50 === 49) {
        const deadline = Date.now() + 2000;
        while (answered.size < id - 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      }
    }
    const deadline = Date.now() + 5000;
    while (answered.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    socket.close();
    expect(await Promise.all(reloads)).toEqual([true, true, true, true, true]);
    expect(answered.size).toBe(total);
    expect(wrong).toBe(0);
  });

  it("counts queries and reloads in /metrics, and keeps a timeline per client", async () => {
    const a = await started();
    const metrics = async () => (await fetch(`${a.controlUrl}/metrics`)).text();
    const queries = (text: string, rcode: string) =>
      Number(
        new RegExp(
          `siteboot_dns_queries_total\\{rcode="${rcode}",source="authority",transport="udp"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      );
    const before = await metrics();
    await digStatus(a.dnsPort, "sip.fabrikam.com");
    await digStatus(a.dnsPort, "_sipinternal._tcp.fabrikam.com.contoso.com", "SRV");
    await a.appliance.reload("metrics test");
    const after = await metrics();
    expect(queries(after, "NOERROR")).toBe(queries(before, "NOERROR") + 1);
    expect(queries(after, "NXDOMAIN")).toBe(queries(before, "NXDOMAIN") + 1);
    expect(after).toMatch(/siteboot_reloads_total\{result="ok"\} 1/);
    expect(after).toContain("siteboot_process_resident_memory_bytes");
    const timeline = (await (await fetch(`${a.controlUrl}/clients/127.0.0.1/timeline`)).json()) as {
      summary: string;
    }[];
    expect(timeline.map((e) => e.summary)).toEqual([
      "A sip.fabrikam.com → NOERROR 198.51.100.20",
      "SRV _sipinternal._tcp.fabrikam.com.contoso.com → NXDOMAIN",
    ]);
    expect((await fetch(`${a.controlUrl}/clients/00:11:22:33:44:55/timeline`)).status).toBe(404);
    expect((await fetch(`${a.controlUrl}/status`, { method: "POST" })).status).toBe(405);
  });
});

describe("start-up errors", () => {
  it("refuses an invalid file with every problem listed", async () => {
    current = new LoopbackAppliance(loopbackSiteText(["bad A 10.1", "worse SRV 1 2"]));
    const failure = await current.appliance.start().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StartupError);
    const message = (failure as Error).message;
    expect(message).toMatch(/is not valid \(2 errors\)/);
    expect(message).toMatch(/site\.yaml:\d+:\d+: dns\.zones\.contoso\.com\[0\]/);
    expect(message).toMatch(/site\.yaml:\d+:\d+: dns\.zones\.contoso\.com\[1\]/);
  });

  it("names the address and port it cannot bind, and leaves nothing listening", async () => {
    const blocker = createSocket("udp4");
    await new Promise<void>((r) => blocker.bind(0, "127.0.0.1", r));
    const port = blocker.address().port;
    try {
      current = new LoopbackAppliance(loopbackSiteText().replace("dns: 0", `dns: ${port}`));
      const failure = await current.appliance.start().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(StartupError);
      expect((failure as Error).message).toContain(`127.0.0.1:${port}`);
      expect((failure as Error).message).toMatch(/in use/);
      expect(current.appliance.healthy()).toBe(false);
    } finally {
      blocker.close();
    }
  });
});

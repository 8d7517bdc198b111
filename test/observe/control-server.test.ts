import { afterEach, describe, expect, it } from "vitest";
import type { Site } from "../../src/config/site.js";
import { ControlServer } from "../../src/observe/control-server.js";
import { Metrics } from "../../src/observe/metrics.js";
import { Timeline } from "../../src/observe/timeline.js";

let server: ControlServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function started(timeline: Timeline): Promise<string> {
  const site = { control: { enabled: true, address: "127.0.0.1", port: 0 } } as unknown as Site;
  server = new ControlServer(site, {
    healthy: () => true,
    status: () => ({}),
    leases: () => [],
    timeline,
    metrics: new Metrics(() => []),
  });
  await server.start();
  const a = server.address();
  return `http://127.0.0.1:${a?.port}`;
}

describe("the control endpoint's clients and timelines", () => {
  it("give every time in ISO 8601, as /leases does", async () => {
    const timeline = new Timeline();
    const at = Date.parse("2026-03-01T10:00:00.250Z");
    timeline.record({
      type: "dhcp.message",
      at,
      mac: "00:04:f2:00:00:01",
      message: "REQUEST",
      reply: "ACK",
      address: "198.51.100.100",
    });
    timeline.record({
      type: "dhcp.lease",
      at: at + 1000,
      action: "commit",
      mac: "00:04:f2:00:00:01",
      address: "198.51.100.100",
      expiresAt: at + 3_600_000,
    });
    const base = await started(timeline);
    const clients = (await (await fetch(`${base}/clients`)).json()) as Record<string, unknown>[];
    expect(clients[0]).toMatchObject({
      mac: "00:04:f2:00:00:01",
      firstSeen: "2026-03-01T10:00:00.250Z",
      lastSeen: "2026-03-01T10:00:01.250Z",
    });
    const entries = (await (await fetch(`${base}/clients/00:04:f2:00:00:01/timeline`)).json()) as {
      at: string;
      detail: Record<string, unknown>;
    }[];
    expect(entries.map((e) => e.at)).toEqual(["2026-03-01T10:00:00.250Z", "2026-03-01T10:00:01.250Z"]);
    expect(entries[1]?.detail.expiresAt).toBe("2026-03-01T11:00:00.250Z");
  });
});

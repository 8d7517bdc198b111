/**
 * The status page's event stream: events gathered into one bounded `changes` message per window,
 * nothing sent when nothing changed, and a bound on open streams.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { SitebootEvent } from "../../src/observe/events.js";
import { EventStream, MAX_STREAMS } from "../../src/observe/status-page/event-stream.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function serve(stream: EventStream): Promise<number> {
  server = createServer((req, res) => stream.open(req, res));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

/** Opens a stream; collects what arrives. */
function connect(port: number): Promise<{ status: number; text: () => string }> {
  return new Promise((resolve, reject) => {
    let text = "";
    const req = request({ host: "127.0.0.1", port, path: "/events" }, (res) => {
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      resolve({ status: res.statusCode ?? 0, text: () => text });
    });
    req.on("error", reject);
    req.end();
  });
}

const query = (client: string): SitebootEvent => ({
  type: "dns.query",
  at: 0,
  client,
  transport: "udp",
  name: "x.contoso.com",
  qtype: "A",
  rcode: "NXDOMAIN",
  source: "authority",
  answers: 0,
  truncated: false,
});

const until = async (test: () => boolean) => {
  for (let i = 0; i < 100 && !test(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe("status page event stream", () => {
  it("sends one changes message per window, naming at most 64 clients", async () => {
    const stream = new EventStream();
    const port = await serve(stream);
    const client = await connect(port);
    await until(() => stream.size === 1);
    for (let i = 0; i < 100; i++) stream.record(query(`198.51.100.${i}`));
    stream.record({
      type: "dhcp.lease",
      at: 0,
      action: "commit",
      mac: "02:00:00:00:00:01",
      address: "198.51.100.7",
    });
    await until(() => client.text().includes("event: changes"));
    const messages = [...client.text().matchAll(/event: changes\ndata: (.*)\n\n/g)].map((m) =>
      JSON.parse(m[1]!),
    );
    expect(messages).toHaveLength(1);
    expect(messages[0].kinds.sort()).toEqual(["dns", "leases"]);
    expect(messages[0].clients).toHaveLength(64);
    expect(messages[0].more).toBe(true);
    expect(client.text().startsWith("retry: 3000\n\n")).toBe(true);
  });

  it("records nothing while nobody watches, and refuses streams beyond the bound", async () => {
    const stream = new EventStream();
    stream.record(query("198.51.100.1"));
    const port = await serve(stream);
    const open = await Promise.all(Array.from({ length: MAX_STREAMS }, () => connect(port)));
    expect(open.every((c) => c.status === 200)).toBe(true);
    expect((await connect(port)).status).toBe(503);
    await new Promise((r) => setTimeout(r, 700));
    expect(open[0]!.text()).toBe("retry: 3000\n\n");
  });
});

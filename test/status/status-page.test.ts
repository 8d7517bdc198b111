/**
 * The status page over HTTP (a loopback appliance): the page, its script and style with a
 * Content-Security-Policy that allows no inline script, the state document with reload results at
 * FILE:LINE:COL, live updates as server-sent events, and control.token enforced (Bearer or basic).
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { controlUrl, runLeases } from "../../src/cli/control-client.js";
import { LoopbackAppliance, loopbackSiteText } from "../appliance/loopback-site.js";

let current: LoopbackAppliance | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function started(text = loopbackSiteText()): Promise<LoopbackAppliance> {
  current = new LoopbackAppliance(text);
  await current.appliance.start();
  return current;
}

const TOKEN = "a-token-of-thirty-characters-x";
const withToken = (text: string) => text.replace(/^dhcp:\n/m, `control:\n  token: ${TOKEN}\ndhcp:\n`);

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Reads an event stream until `until` matches what arrived (bounded in time). */
function readStream(url: string, until: RegExp, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const req = request(url, { headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
      res.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
        if (until.test(text)) {
          clearTimeout(timer);
          req.destroy();
          resolve(text);
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no ${until} in the stream: ${text}`));
    }, 5_000);
    req.on("error", () => undefined);
    req.end();
  });
}

describe("status page", () => {
  it("serves the page and its assets under a CSP with no inline script; the script sets text only", async () => {
    const a = await started();
    const page = await get(`${a.controlUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("default-src 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    // Every script of the page is a separate file: no inline code for the CSP to allow.
    expect(page.body.match(/<script[^>]*>/g)).toEqual(['<script src="/ui/app.js" defer>']);
    expect(page.body).not.toMatch(/\son[a-z]+=/);
    const script = await get(`${a.controlUrl}/ui/app.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(script.body).toContain("textContent");
    expect((await get(`${a.controlUrl}/ui/style.css`)).headers.get("content-type")).toBe(
      "text/css; charset=utf-8",
    );
  });

  it("gives the state in one document: health, services, pools, leases, clients, reloads with FILE:LINE:COL", async () => {
    const a = await started();
    a.write(loopbackSiteText(["broken A 10.1"]));
    expect(await a.appliance.reload("test")).toBe(false);
    const state = JSON.parse((await get(`${a.controlUrl}/ui/state`)).body);
    expect(state.healthy).toBe(true);
    expect(state.status.services).toMatchObject({ dns: "running", ntp: "running", control: "running" });
    expect(state).toMatchObject({ pools: [], leases: [], names: [], clients: [] });
    expect(state.reloads).toHaveLength(1);
    expect(state.reloads[0]).toMatchObject({ ok: false, reason: "test" });
    expect(state.reloads[0].errors[0]).toMatch(/site\.yaml:\d+:\d+: dns\.zones\.contoso\.com\[\d+\]: /);
  });

  it("streams a changes message when something happens", async () => {
    const a = await started();
    const stream = readStream(`${a.controlUrl}/events`, /event: changes\ndata: .*\n\n/);
    await new Promise((r) => setTimeout(r, 100));
    expect(await a.appliance.reload("test")).toBe(true);
    const text = await stream;
    expect(text.startsWith("retry: 3000\n\n")).toBe(true);
    const data = JSON.parse(/event: changes\ndata: (.*)\n/.exec(text)?.[1] ?? "{}");
    expect(data.kinds).toContain("reload");
  });

  it("without a token, answers only requests that name an address or localhost (no DNS rebinding)", async () => {
    const a = await started();
    const port = new URL(a.controlUrl).port;
    const status = (host: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/ui/state", headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on("error", reject);
        req.end();
      });
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
    expect(await status(`localhost:${port}`)).toBe(200);
    expect(await status(`[::1]:${port}`)).toBe(200);
    expect(await status(`rebind.attacker.example:${port}`)).toBe(403);
  });

  it("is read-only", async () => {
    const a = await started();
    const res = await fetch(`${a.controlUrl}/ui/state`, { method: "POST", body: "{}" });
    expect(res.status).toBe(405);
  });
});

describe("control.token", () => {
  it("answers 401 with a basic-auth challenge without it, on every path", async () => {
    const a = await started(withToken(loopbackSiteText()));
    for (const path of ["/", "/ui/state", "/events", "/leases", "/metrics", "/healthz"]) {
      const res = await get(`${a.controlUrl}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="siteboot"/);
    }
    expect(
      (await get(`${a.controlUrl}/ui/state`, { authorization: "Bearer wrong-token-of-thirty-chars-x" }))
        .status,
    ).toBe(401);
    const wrongBasic = Buffer.from(`admin:${TOKEN}x`).toString("base64");
    expect((await get(`${a.controlUrl}/ui/state`, { authorization: `Basic ${wrongBasic}` })).status).toBe(
      401,
    );
  });

  it("lets a request with the token through, as Bearer or as the basic-auth password", async () => {
    const a = await started(withToken(loopbackSiteText()));
    expect((await get(`${a.controlUrl}/ui/state`, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const basic = Buffer.from(`anyone:${TOKEN}`).toString("base64");
    expect((await get(`${a.controlUrl}/`, { authorization: `Basic ${basic}` })).status).toBe(200);
    const stream = readStream(`${a.controlUrl}/events`, /retry: 3000/, { authorization: `Basic ${basic}` });
    expect(await stream).toContain("retry: 3000");
  });

  it("siteboot leases sends the token of site.yaml, or of $SITEBOOT_CONTROL_TOKEN with --control URL", async () => {
    const a = await started(withToken(loopbackSiteText()));
    const lines: string[] = [];
    await expect(runLeases(a.controlUrl, (l) => lines.push(l))).rejects.toThrow(/needs control\.token/);
    process.env.SITEBOOT_CONTROL_TOKEN = TOKEN;
    try {
      expect(await runLeases(a.controlUrl, (l) => lines.push(l))).toBe(0);
    } finally {
      delete process.env.SITEBOOT_CONTROL_TOKEN;
    }
    // Reading site.yaml (as `siteboot leases -c FILE` does) picks up control.token.
    await controlUrl(a.file, undefined);
    expect(await runLeases(a.controlUrl, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(["no leases", "no leases"]);
  });
});

/**
 * The shipped program where its native modules cannot be found (a copy of dist/ with no
 * build/Release above it): DNS and NTP fall back to Node's dgram unless SITEBOOT_UDP_EDGE=native
 * insists, and under systemd ($NOTIFY_SOCKET) start-up fails at once, saying readiness cannot be
 * reported, instead of being stopped by systemd's start timeout later.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeQuery } from "../../src/dns/query-builder.js";
import { loopbackSiteText } from "../appliance/loopback-site.js";
import { decodeReply } from "../dns/site-fixture.js";

let dir: string;
let main: string;
let site: string;
const children: ChildProcess[] = [];

/** Environment of the test process without the variables under test. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { SITEBOOT_UDP_EDGE: _edge, NOTIFY_SOCKET: _notify, WATCHDOG_USEC: _watchdog, ...rest } = process.env;
  return { ...rest, ...extra };
}

/** Runs `serve` expecting it to exit by itself; its exit code and everything it printed. */
function serveUntilExit(extra: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, "serve", "-c", site, "--state-dir", join(dir, "state")],
      { env: env(extra), timeout: 10_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: stdout + stderr });
      },
    );
  });
}

beforeAll(async () => {
  if (!existsSync("dist/siteboot.js")) throw new Error('dist/ is missing: run "npm run build"');
  dir = mkdtempSync(join(tmpdir(), "siteboot-no-native-"));
  mkdirSync(join(dir, "dist"));
  for (const file of ["main.js", "siteboot.js", "package.json"])
    copyFileSync(join("dist", file), join(dir, "dist", file));
  main = join(dir, "dist", "main.js");
  site = join(dir, "site.yaml");
  writeFileSync(site, loopbackSiteText());
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("siteboot serve without its native modules", () => {
  it("falls back to Node's dgram for DNS and NTP, says so, and answers", async () => {
    const child = spawn(process.execPath, [main, "serve", "-c", site, "--state-dir", join(dir, "state")], {
      env: env({}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      output += c.toString();
    });
    const deadline = Date.now() + 10_000;
    while (!output.includes("serving") && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25));
    expect(output).toContain("SITEBOOT_UDP_EDGE_FALLBACK");
    // The kernel picked the port (the site asks for 0); the service says which.
    const dnsPort = Number(/dns listening: udp\+tcp 127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    expect(output).toContain("udp_batch.node) is not built");
    const socket = createSocket("udp4");
    const reply = await new Promise<Buffer>((resolve, reject) => {
      socket.once("message", resolve);
      socket.send(encodeQuery({ name: "dc01.contoso.com", id: 7 }), dnsPort, "127.0.0.1");
      setTimeout(() => reject(new Error(`no DNS answer; output: ${output}`)), 3000).unref();
    });
    socket.close();
    expect(decodeReply(reply).answer).toEqual(["dc01.contoso.com. 3600 A 198.51.100.10"]);
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(0);
  });

  it("refuses to start with SITEBOOT_UDP_EDGE=native, giving the loader's reason", async () => {
    const { code, output } = await serveUntilExit({ SITEBOOT_UDP_EDGE: "native" });
    expect(code).toBe(1);
    expect(output).toContain("siteboot cannot start");
    expect(output).toContain(
      "SITEBOOT_UDP_EDGE=native asks for the batched UDP edge, but the batched UDP module (build/Release/udp_batch.node) is not built",
    );
  });

  it("under systemd ($NOTIFY_SOCKET), fails at once saying readiness cannot be reported", async () => {
    const started = Date.now();
    const { code, output } = await serveUntilExit({ NOTIFY_SOCKET: join(dir, "notify.sock") });
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(output).toContain(
      "siteboot cannot start: systemd waits for readiness ($NOTIFY_SOCKET is set) but cannot be told: the systemd notify module (build/Release/sd_notify.node) is not built",
    );
  });
});

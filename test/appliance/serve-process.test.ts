import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loopbackSiteText } from "./loopback-site.js";

const run = promisify(execFile);

/** The shipped program: the bundle `npm run build` writes (npm test builds before the tests run). */
const SITEBOOT = "dist/main.js";

/** A free UDP+TCP port on loopback, chosen by the kernel. */
async function freePort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  s.close();
  return port;
}

/** Collects what siteboot sends to $NOTIFY_SOCKET (Node has no AF_UNIX datagram sockets; python3 does). */
function notifyListener(path: string): { child: ChildProcess; messages: string[] } {
  const code = [
    "import socket, sys",
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
    "s.bind(sys.argv[1])",
    "print('LISTENING', flush=True)",
    "while True:",
    "    print(s.recv(4096).decode().replace('\\n', ' | '), flush=True)",
  ].join("\n");
  const child = spawn("python3", ["-c", code, path], { stdio: ["ignore", "pipe", "inherit"] });
  const messages: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => messages.push(...String(chunk).split("\n").filter(Boolean)));
  return { child, messages };
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
/** Processes started through a shell (not our children): stopped by PID. */
const pids: number[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("siteboot serve as a process", () => {
  beforeAll(() => {
    if (!existsSync(SITEBOOT)) throw new Error(`${SITEBOOT} is missing: run "npm run build" (npm test does)`);
  });

  it("tells systemd READY, RELOADING, WATCHDOG and STOPPING, reloads on SIGHUP and exits 0 within 2 s of SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siteboot-serve-"));
    dirs.push(dir);
    const [dns, ntp, control] = [await freePort(), await freePort(), await freePort()];
    const file = join(dir, "site.yaml");
    const text = (extra: string[] = []) =>
      loopbackSiteText(extra).replace(
        "ports: { dns: 0, ntp: 0, control: 0,",
        `ports: { dns: ${dns}, ntp: ${ntp}, control: ${control},`,
      );
    writeFileSync(file, text());

    const notify = notifyListener(join(dir, "notify.sock"));
    children.push(notify.child);
    await until(() => notify.messages.includes("LISTENING"), "the notify socket");

    const serve = spawn(
      process.execPath,
      [SITEBOOT, "serve", "-c", file, "--state-dir", join(dir, "state")],
      {
        env: { ...process.env, NOTIFY_SOCKET: join(dir, "notify.sock"), WATCHDOG_USEC: "200000" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(serve);
    let output = "";
    serve.stdout?.on("data", (c: Buffer) => (output += String(c)));
    serve.stderr?.on("data", (c: Buffer) => (output += String(c)));

    await until(() => notify.messages.some((m) => m.startsWith("READY=1")), `READY=1 (output: ${output})`);
    const dig = async (name: string) =>
      (
        await run("dig", ["@127.0.0.1", "-p", String(dns), "+tries=1", "+time=2", "+short", name])
      ).stdout.trim();
    expect(await dig("sip.fabrikam.com")).toBe("198.51.100.20");
    await until(() => notify.messages.includes("WATCHDOG=1"), "a watchdog ping");

    writeFileSync(file, text(["after-hup A 198.51.100.99"]));
    serve.kill("SIGHUP");
    await until(
      () => notify.messages.some((m) => m.startsWith("RELOADING=1 | MONOTONIC_USEC=")),
      "RELOADING=1",
    );
    await until(
      () => notify.messages.filter((m) => m.startsWith("READY=1")).length >= 2,
      "READY=1 after the reload",
    );
    expect(await dig("after-hup.contoso.com")).toBe("198.51.100.99");

    const stoppedAt = Date.now();
    serve.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => serve.once("exit", (c) => r(c)));
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    expect(notify.messages).toContain("STOPPING=1");
    // One JSON line per log entry (journald reads them as they come).
    const lines = output.split("\n").filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    // The serving line reports how long each start-up phase took.
    const serving = lines.map((l) => JSON.parse(l)).find((l) => l.startupMs !== undefined);
    expect(Object.keys(serving.startupMs)).toEqual(
      expect.arrayContaining(["program", "site", "dns", "ntp", "control", "total", "cpu"]),
    );
    expect(serving.startupMs.total).toBeGreaterThanOrEqual(serving.startupMs.program);
    // Started by the launcher from the code cache the build wrote for this Node.js.
    expect(serving.codeCache).toBe("used");
  });

  it("exits 1 with one clear message when the file is invalid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siteboot-serve-"));
    dirs.push(dir);
    const file = join(dir, "site.yaml");
    writeFileSync(file, loopbackSiteText(["bad A 10.1"]));
    const failure = await run(process.execPath, [SITEBOOT, "serve", "-c", file, "--state-dir", dir]).catch(
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ code: 1 });
    const out = (failure as { stdout: string }).stdout;
    const fatal = out
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(fatal).toHaveLength(1);
    expect(fatal[0]?.level).toBe(60);
    expect(fatal[0]?.msg).toMatch(
      /siteboot cannot start: .*site\.yaml is not valid \(1 error\):\n.*site\.yaml:\d+:\d+: dns\.zones\.contoso\.com\[0\]: A data/,
    );
  });

  it("on a terminal (a pseudo-terminal from script) logs one line per entry, not JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siteboot-serve-"));
    dirs.push(dir);
    const dns = await freePort();
    const file = join(dir, "site.yaml");
    writeFileSync(
      file,
      `${loopbackSiteText().replace("ports: { dns: 0,", `ports: { dns: ${dns},`)}log: { events: info }\n`,
    );
    const pidFile = join(dir, "pid");
    // script gives the program a terminal; the shell leaves its PID behind so the test stops it alone.
    const command = `echo $$ > ${pidFile}; exec ${process.execPath} ${SITEBOOT} serve -c ${file} --state-dir ${join(dir, "state")}`;
    const terminal = spawn("script", ["-qec", `sh -c '${command}'`, "/dev/null"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(terminal);
    let output = "";
    terminal.stdout?.on("data", (c: Buffer) => (output += String(c)));
    terminal.stderr?.on("data", (c: Buffer) => (output += String(c)));
    await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"), "the PID file");
    pids.push(Number(readFileSync(pidFile, "utf8")));
    await until(() => output.includes("siteboot serving"), `the serving line (output: ${output})`);
    const answer = await run("dig", [
      "@127.0.0.1",
      "-p",
      String(dns),
      "+tries=1",
      "+time=2",
      "+short",
      "sip.fabrikam.com",
    ]);
    expect(answer.stdout.trim()).toBe("198.51.100.20");
    await until(() => output.includes("dns.query"), `the query's line (output: ${output})`);
    process.kill(pids[0] as number, "SIGTERM");
    expect(await new Promise<number | null>((r) => terminal.once("exit", (c) => r(c)))).toBe(0);
    pids.splice(0); // exited: its PID may be another process's soon

    const lines = output
      .replace(/\u001b\[[0-9;]*m/g, "")
      .split(/\r?\n/)
      .filter(Boolean);
    for (const line of lines)
      expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/);
    expect(lines.filter((l) => l.includes("dns.query"))).toEqual([
      expect.stringMatching(
        /INFO {2}dns\.query +dns A sip\.fabrikam\.com from 127\.0\.0\.1 → NOERROR source=authority answer=198\.51\.100\.20 micros=[\d.]+$/,
      ),
    ]);
    expect(lines.some((l) => / INFO {2}siteboot serving contoso-lab: .* codeCache=used$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/INFO {2}stopped$/);
  });
});

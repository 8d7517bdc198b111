/**
 * scripts/install-test-peers.sh decides by command, not by package name: with every peer's command
 * on PATH it plans no apt run, whatever dpkg says; with one missing it names that command's package.
 * scripts/lib/quietly.sh keeps a command's output out of sight unless the command fails.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeCommand, pathWithout, REPO, runBash } from "./sandbox.js";

const SCRIPT = join(REPO, "scripts/install-test-peers.sh");

/** The script's "command:package" pairs. */
function peers(): { command: string; pkg: string }[] {
  const list = /^peers=\(([^)]*)\)/m.exec(readFileSync(SCRIPT, "utf8"))?.[1] ?? "";
  return list
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => {
      const [command = "", pkg = ""] = pair.split(":");
      return { command, pkg };
    });
}

describe("install-test-peers.sh", () => {
  let dir: string;
  let aptLog: string;
  /** A PATH with fakes of the peers in `present` (none real), and apt/dpkg that record or deny. */
  function pathWith(name: string, present: string[]): string {
    const fakes = join(dir, `${name}-fakes`);
    const system = pathWithout(join(dir, `${name}-system`), (n) => peers().some((p) => p.command === n));
    mkdirSync(fakes);
    // A peer known by a file (headers) is taken from this host: only commands can be faked.
    for (const command of present.filter((c) => !c.startsWith("/"))) fakeCommand(fakes, command, "exit 0");
    for (const tool of ["apt-get", "debconf-set-selections"]) {
      fakeCommand(fakes, tool, `echo "${tool} $*" >>'${aptLog}'`);
    }
    // As on a box where the peers came from other packages (busybox-static, dnsutils' successor).
    fakeCommand(fakes, "dpkg-query", "exit 1");
    return `${fakes}:${system}`;
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "siteboot-peers-"));
    aptLog = join(dir, "apt.log");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("knows the peers the tests run, each by its command", () => {
    const commands = peers().map((p) => p.command);
    for (const c of [
      "dig",
      "kdig",
      "dhclient",
      "udhcpc",
      "dhcpcd",
      "sntp",
      "chronyd",
      "tshark",
      "perfdhcp",
    ]) {
      expect(commands).toContain(c);
    }
    expect(peers().find((p) => p.command === "dig")?.pkg).toBe("bind9-dnsutils");
  });

  it("with every peer's command on PATH, --check plans nothing and a real run calls no apt", () => {
    writeFileSync(aptLog, "");
    const path = pathWith(
      "all",
      peers().map((p) => p.command),
    );
    const check = runBash(SCRIPT, ["--check"], { PATH: path });
    expect(check.status).toBe(0);
    expect(check.stdout).toContain("nothing to install");
    const run = runBash(SCRIPT, [], { PATH: path });
    expect([run.status, run.stdout, run.stderr]).toEqual([0, "", ""]);
    expect(readFileSync(aptLog, "utf8")).toBe("");
  });

  it("with kdig and udhcpc missing, --check names their packages and installs nothing", () => {
    writeFileSync(aptLog, "");
    const present = peers()
      .map((p) => p.command)
      .filter((c) => c !== "kdig" && c !== "udhcpc");
    const check = runBash(SCRIPT, ["--check"], { PATH: pathWith("two-missing", present) });
    expect(check.status).toBe(1);
    expect(check.stdout).toBe("install-test-peers: would install knot-dnsutils udhcpc\n");
    expect(readFileSync(aptLog, "utf8")).toBe("");
  });
});

describe("quietly", () => {
  const run = (command: string) =>
    runBash("-c", [`. '${join(REPO, "scripts/lib/quietly.sh")}'; quietly sh -c '${command}'`], {});

  it("prints nothing when the command succeeds", () => {
    expect(run("echo gyp info ok; echo warning >&2")).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("prints the command's output and its status when it fails", () => {
    const result = run("echo gyp ERR! build error; exit 3");
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("gyp ERR! build error\n");
    expect(result.stderr).toMatch(/failed \(exit 3\); its output is above and in \S+\.log/);
  });
});

/**
 * The command line as a user meets it: the built program (`npm run build`) run as a process.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const SITEBOOT = "dist/main.js";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function siteboot(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SITEBOOT, ...args], { timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

const COMMANDS: Record<string, string[]> = {
  serve: ["--config FILE", "--state-dir DIR"],
  check: ["--config FILE", "--quiet", "--strict"],
  explain: [
    "--mac MAC",
    "--vendor-class TEXT",
    "--vendor-class-hex HEX",
    "--client-id HEX",
    "--subnet CIDR",
    "--config FILE",
  ],
  leases: ["--config FILE", "--control URL"],
  timeline: ["--config FILE", "--control URL"],
};

beforeAll(() => {
  if (!existsSync(SITEBOOT)) throw new Error(`${SITEBOOT} is missing: run "npm run build" (npm test does)`);
});

describe("siteboot's command line", () => {
  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(await siteboot("--version")).toEqual({ code: 0, stdout: `siteboot ${version}\n`, stderr: "" });
  });

  it.each(Object.keys(COMMANDS))(
    "%s --help prints that command's usage and every flag it takes",
    async (name) => {
      const result = await siteboot(name, "--help");
      expect(result.code).toBe(0);
      expect(result.stdout.split("\n")[0]).toMatch(new RegExp(`^Usage: siteboot ${name}\\b`));
      for (const flag of COMMANDS[name] ?? []) expect(result.stdout).toContain(flag);
      // Only its own flags.
      for (const [other, flags] of Object.entries(COMMANDS)) {
        if (other === name) continue;
        for (const flag of flags) {
          if (!(COMMANDS[name] ?? []).some((own) => own.split(" ")[0] === flag.split(" ")[0]))
            expect(result.stdout).not.toContain(flag.split(" ")[0]);
        }
      }
      expect(await siteboot("help", name)).toEqual(result);
    },
  );

  it("--help lists every command", async () => {
    const result = await siteboot("--help");
    expect(result.code).toBe(0);
    for (const name of Object.keys(COMMANDS))
      expect(result.stdout).toMatch(new RegExp(`^ {2}${name}\\b`, "m"));
    expect(result.stdout).toContain("--version");
  });

  it("refuses a flag the command does not take: exit 2, the flag named, the command's usage", async () => {
    const unknown = await siteboot("serve", "--bogus");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^siteboot: serve has no option --bogus\n/);
    expect(unknown.stderr).toContain("Usage: siteboot serve");
    expect(unknown.stdout).toBe("");

    // Another command's flag: refused too, and said whose it is.
    const other = await siteboot("leases", "--mac", "00:04:f2:00:00:01", "--control", "http://127.0.0.1:9");
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^siteboot: leases has no option --mac \(it is an option of explain\)\n/);
    expect(other.stderr).toContain("Usage: siteboot leases");

    const short = await siteboot("timeline", "-x", "00:04:f2:00:00:01");
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/^siteboot: timeline has no option -x\n/);
  });

  it("says which flag lacks its value, and which arguments are missing or extra", async () => {
    const missing = await siteboot("check", "-c");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^siteboot: check: --config needs a value\n/);
    const noMac = await siteboot("timeline");
    expect(noMac.code).toBe(2);
    expect(noMac.stderr).toMatch(/^siteboot: timeline takes MAC\n/);
    const extra = await siteboot("serve", "site.yaml");
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/^siteboot: serve takes no arguments \(got "site.yaml"\)/);
    const explain = await siteboot("explain", "-c", "config/site.yaml");
    expect(explain.code).toBe(2);
    expect(explain.stderr).toMatch(/^siteboot: explain needs --mac MAC\n/);
  });

  it("check knows --strict and keeps -q and -c", async () => {
    const result = await siteboot("check", "--strict", "-q", "-c", "config/site.yaml");
    expect(result.stderr).not.toContain("no option");
    expect(result.code).not.toBe(2);
    expect(result.stdout).toBe("");
    // The example names lab0: --strict fails unless this host has it (example.sh makes it).
    if (result.code === 0) expect(result.stderr).toMatch(/config\/site\.yaml: OK/);
    else expect(result.stderr).toMatch(/interface "?lab0"? .*(absent|not|no)/i);
  });

  it("an unknown command: exit 2 and the list of commands", async () => {
    const result = await siteboot("serv");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^siteboot: unknown command "serv"\n/);
    expect(result.stderr).toContain("Commands:");
  });
});

describe("siteboot timeline", () => {
  let control: Server | undefined;
  afterEach(() => control?.close());

  it("prints each DHCP message's vendor class, the options asked for and given, and each query's answer", async () => {
    const entries = [
      {
        at: "2026-03-01T10:00:00.000Z",
        kind: "dhcp",
        summary: "DISCOVER → OFFER 198.51.100.100",
        detail: {
          vendorClass: "Polycom-CX700",
          requested: [1, 3, 6, 15, 119, 42, 66, 160],
          replyOptions: [53, 54, 51, 1, 3, 6, 15, 42, 66, 119, 58, 59],
          interface: "lab0",
        },
      },
      {
        at: "2026-03-01T10:00:00.100Z",
        kind: "dhcp",
        summary: "DISCOVER → no reply (pool 198.51.100.0/24 is full)",
        detail: { requested: [1, 3], replyOptions: [], relay: "203.0.113.1" },
      },
      {
        at: "2026-03-01T10:00:01.000Z",
        kind: "dns",
        summary: "A pool01.contoso.com → NOERROR 198.51.100.20",
        detail: { source: "authority", answer: "198.51.100.20" },
      },
    ];
    control = createServer((req, res) => {
      const found = req.url === "/clients/00%3A04%3Af2%3A00%3A00%3A01/timeline";
      res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(found ? entries : { error: "no such client" }));
    });
    await new Promise<void>((r) => control?.listen(0, "127.0.0.1", r));
    const port = (control.address() as { port: number }).port;
    const result = await siteboot("timeline", "00:04:f2:00:00:01", "--control", `http://127.0.0.1:${port}`);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n").map((l) => l.trimEnd())).toEqual([
      "TIME                      WHAT  EVENT",
      '2026-03-01T10:00:00.000Z  DHCP  DISCOVER → OFFER 198.51.100.100  vendor "Polycom-CX700"  asked 1,3,6,15,119,42,66,160  gave 1,3,6,15,42,66,119',
      "2026-03-01T10:00:00.100Z  DHCP  DISCOVER → no reply (pool 198.51.100.0/24 is full)  asked 1,3  relay 203.0.113.1",
      "2026-03-01T10:00:01.000Z  DNS   A pool01.contoso.com → NOERROR 198.51.100.20",
      "",
    ]);
  });
});

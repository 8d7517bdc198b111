import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runCheck } from "../../src/cli/check.js";
import type { HostNetwork } from "../../src/config/host-network.js";

const run = promisify(execFile);
const FIXTURES = "test/fixtures";

/** The lab box the fixtures are written for, so what they print does not depend on this machine. */
const LAB_HOST: HostNetwork = { interfaces: ["lab0", "lo"], addresses: ["127.0.0.1", "198.51.100.2"] };

/** Each broken fixture has a golden file with the exact diagnostics `check` must print. */
async function check(file: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCheck(
    file,
    (l) => out.push(l),
    (l) => err.push(l),
    true,
    false,
    LAB_HOST,
  );
  return { code, out, err };
}

function fixtures(folder: string): string[] {
  return readdirSync(join(FIXTURES, folder))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(FIXTURES, folder, f));
}

describe("broken site files", () => {
  it.each(fixtures("broken"))("%s exits 1 with the expected FILE:LINE:COL diagnostics", async (file) => {
    const expected = readFileSync(file.replace(/\.yaml$/, ".expected"), "utf8")
      .trimEnd()
      .split("\n");
    const result = await check(file);
    expect(result.code).toBe(1);
    expect(result.err).toEqual(expected);
    for (const line of expected.slice(0, -1))
      expect(line).toMatch(/^test\/fixtures\/broken\/[\w-]+\.yaml:\d+:\d+: /);
  });
});

describe("site files with warnings", () => {
  it.each(fixtures("warnings"))("%s exits 0 and prints the warnings", async (file) => {
    const expected = readFileSync(file.replace(/\.yaml$/, ".expected"), "utf8")
      .trimEnd()
      .split("\n");
    const result = await check(file);
    expect(result.code).toBe(0);
    expect(result.err).toEqual(expected);
  });
});

describe("siteboot check as a command", () => {
  const cli = ["--import", "tsx", "src/main.ts", "check", "-c"];

  it("prints the records and option bytes of the example and exits 0", async () => {
    const { stdout, stderr } = await run(process.execPath, [...cli, "config/site.yaml"]);
    expect(stderr).toContain("config/site.yaml: OK");
    expect(stdout).toMatch(
      /_sipinternaltls\._tcp\.fabrikam\.com\.\s+3600 IN SRV\s+0 0 5061 pool01\.contoso\.com\./,
    );
    expect(stdout).toContain(
      "wire 77 18 07 63 6f 6e 74 6f 73 6f 03 63 6f 6d 00 08 66 61 62 72 69 6b 61 6d c0 08",
    );
  });

  it("exits 1 on a broken file", async () => {
    const failure = await run(process.execPath, [
      ...cli,
      join(FIXTURES, "broken", "reservations.yaml"),
    ]).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain("reservations.yaml:17:12: dhcp.hosts[1].mac:");
  });

  it("exits 1 with one clear line when the file is missing", async () => {
    const failure = await run(process.execPath, [...cli, "/nonexistent/site.yaml"]).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain(
      "/nonexistent/site.yaml:1:1: cannot read the site file: no such file",
    );
  });
});

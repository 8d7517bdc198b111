import { spawnSync } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodePut } from "../../src/dhcp/leases/lease-record.js";
import { makeLease, tempDir } from "./lease-fixtures.js";

/**
 * Real filesystem failures, each in a child process: a full disk (a 64 KiB tmpfs in a private mount
 * namespace), a read-only file system, a file-size limit (ulimit -f) and a user without write access.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const child = join(here, "crash-child.ts");
const node = `'${process.execPath}' --import tsx '${child}'`;

interface ErrorShape {
  readonly code: string;
  readonly osCode?: string;
  readonly path?: string;
  readonly message: string;
}

interface FillResult {
  readonly acked: number;
  readonly error?: ErrorShape;
  readonly later?: ErrorShape;
  readonly reopened: { warnings?: string[]; missing?: number; error?: string };
}

function runShell(script: string, asNobody = false): string {
  const argv = asNobody
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", script]
    : ["sh", "-c", script];
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd: repo, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`child failed (${result.status}): ${result.stderr}`);
  const last = result.stdout.trim().split("\n").pop();
  if (last === undefined) throw new Error(`no output: ${result.stderr}`);
  return last;
}

const canMount =
  spawnSync("unshare", ["-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"]).status === 0;
const canDropPrivileges =
  process.getuid?.() === 0 &&
  spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]).status === 0;

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  ({ dir, remove } = await tempDir("siteboot-leases-errno-"));
});
afterEach(async () => {
  await remove();
});

describe("FileLeaseStore on a failing file system", () => {
  it.runIf(canMount)(
    "disk full: the failing put is rejected with ENOSPC and the path, every acked lease survives",
    () => {
      const out = runShell(
        `unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '${dir}' && ${node.replaceAll('"', '\\"')} '${dir}' fill 167772160"`,
      );
      const result = JSON.parse(out) as FillResult;
      expect(result.acked).toBeGreaterThan(50);
      expect(result.error).toMatchObject({ code: "SITEBOOT_ERR_LEASES_FAILED", osCode: "ENOSPC" });
      expect(result.error?.message).toContain(join(dir, "leases4.jsonl"));
      expect(result.error?.message).toContain("no space left");
      // After a failed write the store refuses changes rather than pretend.
      expect(result.later).toMatchObject({ code: "SITEBOOT_ERR_LEASES_FAILED" });
      expect(result.reopened.missing).toBe(0);
      // No room for a copy of the torn journal: it is kept as it is, never rewritten without one.
      expect(result.reopened.warnings?.join("\n")).toContain("continuing with the journal as it is");
    },
  );

  it("file-size limit: EFBIG is surfaced, acked leases survive and the reopen repairs the journal", () => {
    const out = runShell(`ulimit -f 64 && ${node} '${dir}' fill 167772160`);
    const result = JSON.parse(out) as FillResult;
    expect(result.acked).toBeGreaterThan(50);
    expect(result.error).toMatchObject({ code: "SITEBOOT_ERR_LEASES_FAILED", osCode: "EFBIG" });
    expect(result.later).toMatchObject({ code: "SITEBOOT_ERR_LEASES_FAILED" });
    expect(result.reopened.missing).toBe(0);
    expect(result.reopened.warnings?.join("\n")).toMatch(
      /unterminated: an interrupted write[\s\S]*kept as \S+\.corrupt-/,
    );
  });

  it.runIf(canMount)("read-only file system: open fails with EROFS and the journal path", async () => {
    const line = encodePut(makeLease(1));
    const out = runShell(
      `unshare -m sh -c "mount -t tmpfs tmpfs '${dir}' && printf '%s\\n' '${line}' > '${dir}/leases4.jsonl' && mount -o remount,ro '${dir}' && ${node.replaceAll('"', '\\"')} '${dir}' open 0"`,
    );
    const result = JSON.parse(out) as { opened: boolean; error?: ErrorShape };
    expect(result.opened).toBe(false);
    expect(result.error).toMatchObject({ code: "SITEBOOT_ERR_LEASES_IO", osCode: "EROFS" });
    expect(result.error?.message).toContain(dir);
    expect(result.error?.message).toContain("read-only");
  });

  it.runIf(canDropPrivileges)("no write permission: open fails with EACCES and the path", async () => {
    const leases = join(dir, "leases");
    await mkdir(leases);
    await writeFile(join(leases, "leases4.jsonl"), `${encodePut(makeLease(1))}\n`);
    await chmod(dir, 0o755);
    const out = runShell(`${node} '${leases}' open 0`, true);
    const result = JSON.parse(out) as { opened: boolean; error?: ErrorShape };
    expect(result.opened).toBe(false);
    expect(result.error).toMatchObject({ code: "SITEBOOT_ERR_LEASES_IO", osCode: "EACCES" });
    expect(result.error?.message).toContain(leases);
  });
});

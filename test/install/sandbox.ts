/**
 * Sandboxes for running scripts/install.sh and scripts/install-test-peers.sh in tests: a copy of
 * the checkout, an empty target tree for `install.sh --root`, fake commands on PATH, and snapshots
 * of a tree to tell what a run changed.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "..", "..");

/** What install.sh needs from a checkout; dist/ is left out so a run shows whether it built. */
const CHECKOUT_FILES = [
  "package.json",
  "package-lock.json",
  "README.md",
  "docs",
  "config",
  "scripts",
  "src",
  "native",
  "binding.gyp",
  "tsconfig.json",
];

export interface Sandbox {
  dir: string;
  checkout: string;
  /** The target tree given to `install.sh --root`. */
  root: string;
  /** Fake commands, first on PATH. */
  bin: string;
  cleanup(): void;
}

/** A checkout copy (node_modules linked, build/ copied unless `native` is false) and a target tree with only root in /etc. */
export function makeSandbox(options: { native?: boolean } = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "siteboot-install-"));
  const checkout = join(dir, "checkout");
  const root = join(dir, "root");
  const bin = join(dir, "bin");
  for (const d of [checkout, join(root, "etc"), bin]) mkdirSync(d, { recursive: true });
  for (const f of CHECKOUT_FILES) cpSync(join(REPO, f), join(checkout, f), { recursive: true });
  symlinkSync(join(REPO, "node_modules"), join(checkout, "node_modules"));
  if (options.native !== false) {
    cpSync(join(REPO, "build", "Release"), join(checkout, "build", "Release"), { recursive: true });
    // Built after its sources were last changed, as after `npm install` (copies made within one
    // clock tick would share a time, and install.sh would take the build for stale).
    const past = new Date(Date.now() - 60_000);
    for (const f of ["binding.gyp", ...readdirSync(join(checkout, "native")).map((n) => `native/${n}`)]) {
      utimesSync(join(checkout, f), past, past);
    }
  }
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
  writeFileSync(join(root, "etc", "group"), "root:x:0:\n");
  writeFileSync(join(root, "etc", "shadow"), "root:*:19000:0:99999:7:::\n", { mode: 0o640 });
  writeFileSync(join(root, "etc", "gshadow"), "root:*::\n", { mode: 0o640 });
  return { dir, checkout, root, bin, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an executable shell script NAME into DIR. */
export function fakeCommand(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * A directory of links to every command on the current PATH except those `leaveOut` accepts: a
 * PATH on which exactly those commands are missing.
 */
export function pathWithout(dir: string, leaveOut: (name: string) => boolean): string {
  mkdirSync(dir, { recursive: true });
  for (const from of (process.env.PATH ?? "").split(delimiter)) {
    if (!from || !existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      if (leaveOut(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(from, name), join(dir, name));
    }
  }
  return dir;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runBash(script: string, args: string[], env: Record<string, string>): Run {
  const result = spawnSync("/bin/bash", [script, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 170_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the checkout's install.sh into the sandbox's root. Refuses a script without --root: such
 * an installer would write to this machine's /opt, /etc and /usr/bin.
 */
export function runInstall(box: Sandbox, env: Record<string, string> = {}): Run {
  const script = join(box.checkout, "scripts", "install.sh");
  if (!/^\s*--root\)/m.test(readFileSync(script, "utf8"))) {
    throw new Error("install.sh has no --root option; not running it against this machine");
  }
  return runBash(script, ["--root", box.root], env);
}

/** Every entry under DIR: its kind, mode, owner and content hash (or link target). */
export function snapshot(dir: string): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (path: string, rel: string): void => {
    const st = lstatSync(path);
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) entries.set(rel, `link -> ${readlinkSync(path)}`);
    else if (st.isDirectory()) {
      entries.set(rel, `dir ${meta}`);
      for (const name of readdirSync(path)) walk(join(path, name), rel ? `${rel}/${name}` : name);
    } else entries.set(rel, `file ${meta} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`);
  };
  walk(dir, "");
  return entries;
}

/** Paths whose entry differs between two snapshots (added, removed or changed). */
export function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths].filter((p) => before.get(p) !== after.get(p)).sort();
}

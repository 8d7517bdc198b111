/**
 * scripts/install.sh end to end, into a target tree (`--root`) with a recording systemctl: what a
 * fresh install writes, that an upgrade changes only the code and restarts only a running service
 * whose configuration the new code accepts, and that missing prerequisites stop it before any change.
 */
import {
  existsSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  changedPaths,
  fakeCommand,
  makeSandbox,
  pathWithout,
  REPO,
  runInstall,
  type Sandbox,
  snapshot,
} from "./sandbox.js";

const SOURCE_UNIT = readFileSync(join(REPO, "scripts/systemd/siteboot.service"), "utf8");

/** A systemctl that logs its arguments and reports the service active while the file `active` exists. */
function recordingSystemctl(box: Sandbox): { path: string; calls(): string[]; activate(): void } {
  const log = join(box.dir, "systemctl.log");
  const active = join(box.dir, "active");
  writeFileSync(log, "");
  const path = fakeCommand(
    box.bin,
    "systemctl",
    `echo "$*" >>'${log}'\n[ "$1" != is-active ] || [ -e '${active}' ]`,
  );
  return {
    path,
    calls: () => readFileSync(log, "utf8").split("\n").filter(Boolean),
    activate: () => writeFileSync(active, ""),
  };
}

function sitebootLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("siteboot:"));
}

// Each run builds and runs npm install: minutes on a busy machine, not the default 30 s.
describe("install.sh into a target tree", { timeout: 180_000 }, () => {
  let box: Sandbox;
  let systemctl: ReturnType<typeof recordingSystemctl>;
  let env: Record<string, string>;
  let nodeOnPath: string;

  beforeAll(() => {
    box = makeSandbox();
    systemctl = recordingSystemctl(box);
    // Node.js from somewhere other than /usr/bin, as with nvm or a tarball under /opt.
    nodeOnPath = join(box.bin, "node");
    fakeCommand(box.bin, "node", `exec '${process.execPath}' "$@"`);
    env = { PATH: `${box.bin}:${process.env.PATH}`, SITEBOOT_SYSTEMCTL: systemctl.path };
  });
  afterAll(() => box.cleanup());

  it("a fresh install writes the code, the example configuration, the user, the unit, and starts the service", () => {
    const run = runInstall(box, env);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const { root } = box;

    for (const f of [
      "dist/main.js",
      "dist/siteboot.js",
      "dist/siteboot.js.cache",
      "build/Release/udp_batch.node",
      "build/Release/sd_notify.node",
      "config/site.schema.json",
      "node_modules/js-yaml/package.json",
      "README.md",
      "docs/architecture.md",
    ]) {
      expect(existsSync(join(root, "opt/siteboot", f)), f).toBe(true);
    }
    expect(statSync(join(root, "opt/siteboot/dist/main.js")).mode & 0o111).toBe(0o111);
    expect(readlinkSync(join(root, "usr/local/bin/siteboot"))).toBe("/opt/siteboot/dist/main.js");

    const site = readFileSync(join(root, "etc/siteboot/site.yaml"), "utf8");
    expect(site).toContain("$schema=/opt/siteboot/config/site.schema.json");
    expect(site.replace("/opt/siteboot/config/", "./")).toBe(
      readFileSync(join(REPO, "config/site.yaml"), "utf8"),
    );
    // The example's provisioning folder beside it, readable by the service's user.
    const template = "etc/siteboot/provisioning/templates/polycom-phone.cfg.mustache";
    expect(readFileSync(join(root, template), "utf8")).toBe(
      readFileSync(join(REPO, "config/provisioning/templates/polycom-phone.cfg.mustache"), "utf8"),
    );
    expect(statSync(join(root, template)).mode & 0o777).toBe(0o644);
    expect(statSync(join(root, "etc/siteboot/provisioning/templates")).mode & 0o777).toBe(0o755);

    const [user] = sitebootLines(join(root, "etc/passwd"));
    expect(user).toMatch(/^siteboot:x:\d+:\d+::\/var\/lib\/siteboot:\/usr\/sbin\/nologin$/);
    const [, , uid, gid] = (user ?? "").split(":");
    expect(sitebootLines(join(root, "etc/group"))).toEqual([`siteboot:x:${gid}:`]);
    const state = statSync(join(root, "var/lib/siteboot"));
    expect([state.mode & 0o777, state.uid, state.gid]).toEqual([0o750, Number(uid), Number(gid)]);

    // The unit as shipped, running the Node.js that the install checked; /usr/bin/node is left alone.
    const unit = readFileSync(join(root, "etc/systemd/system/siteboot.service"), "utf8");
    expect(unit).toBe(SOURCE_UNIT.replace(/^(Exec\w+=)\/usr\/bin\/node /gm, `$1${nodeOnPath} `));
    expect(unit).toMatch(new RegExp(`^ExecStart=${nodeOnPath} /opt/siteboot/dist/main.js serve`, "m"));
    expect(existsSync(join(root, "usr/bin/node"))).toBe(false);
    expect(lstatSync("/usr/bin/node").isSymbolicLink()).toBe(false);

    expect(systemctl.calls()).toEqual([
      "daemon-reload",
      "enable --quiet siteboot.service",
      "is-active --quiet siteboot.service",
      "start siteboot.service",
    ]);
  });

  it("every Documentation= of the installed unit is a file siteboot installed", () => {
    const unit = readFileSync(join(box.root, "etc/systemd/system/siteboot.service"), "utf8");
    const uris = (/^Documentation=(.*)$/m.exec(unit)?.[1] ?? "").split(/\s+/).filter(Boolean);
    expect(uris.length).toBeGreaterThan(0);
    for (const uri of uris) {
      expect(uri).toMatch(/^file:\/\/\/opt\/siteboot\//);
      expect(existsSync(join(box.root, new URL(uri).pathname)), uri).toBe(true);
    }
  });

  it("an upgrade of a running service changes only the code cache, keeps the edited configuration and one user, and restarts it", () => {
    const config = join(box.root, "etc/siteboot/site.yaml");
    const edited = readFileSync(config, "utf8").replace(/^(\s*name: ).*$/m, "$1edited-by-the-site");
    expect(edited).toContain("edited-by-the-site");
    writeFileSync(config, edited);
    systemctl.activate();
    const before = snapshot(box.root);
    const callsBefore = systemctl.calls().length;

    const run = runInstall(box, env);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    // V8's code cache is rebuilt on every build and is not byte-for-byte reproducible.
    expect(changedPaths(before, snapshot(box.root))).toEqual(["opt/siteboot/dist/siteboot.js.cache"]);
    expect(readFileSync(config, "utf8")).toBe(edited);
    expect(sitebootLines(join(box.root, "etc/passwd"))).toHaveLength(1);
    expect(sitebootLines(join(box.root, "etc/group"))).toHaveLength(1);
    expect(systemctl.calls().slice(callsBefore)).toEqual([
      "daemon-reload",
      "enable --quiet siteboot.service",
      "is-active --quiet siteboot.service",
      "restart siteboot.service",
    ]);
  });

  it("an upgrade on a host without the file's interface installs the code but leaves the service as it is", () => {
    const config = join(box.root, "etc/siteboot/site.yaml");
    const edited = readFileSync(config, "utf8");
    writeFileSync(config, edited.replaceAll("lab0", "sbabsent9"));
    systemctl.activate();
    const callsBefore = systemctl.calls().length;

    const run = runInstall(box, { ...env, SITEBOOT_HOST_CHECK: "1" });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("sbabsent9");
    expect(run.stderr).toContain("not (re)started");
    expect(systemctl.calls().slice(callsBefore)).toEqual([
      "daemon-reload",
      "enable --quiet siteboot.service",
    ]);
    writeFileSync(config, edited);
  });

  it("an upgrade whose new code rejects the configuration changes nothing and does not restart", () => {
    const config = join(box.root, "etc/siteboot/site.yaml");
    writeFileSync(config, readFileSync(config, "utf8").replace(/^listen:/m, "listen: 42\nlisten_:"));
    const before = snapshot(box.root);
    const callsBefore = systemctl.calls().length;

    const run = runInstall(box, env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${config}:`);
    expect(run.stderr).toContain("nothing was changed");
    expect(changedPaths(before, snapshot(box.root))).toEqual([]);
    expect(systemctl.calls().slice(callsBefore)).toEqual([]);
  });
});

/** A PATH without the tools node-gyp compiles with. */
function withoutCompiler(dir: string): string {
  return pathWithout(dir, (n) => /^(make|cc|c\+\+|gcc|g\+\+|python3)$/.test(n));
}

describe("install.sh prerequisites", { timeout: 60_000 }, () => {
  let box: Sandbox;
  beforeAll(() => {
    box = makeSandbox({ native: false });
  });
  afterAll(() => box.cleanup());

  function expectNothingChanged(env: Record<string, string>): string {
    const before = snapshot(box.dir);
    const result = runInstall(box, env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("install: nothing was changed");
    expect(changedPaths(before, snapshot(box.dir))).toEqual([]);
    expect(existsSync(join(box.checkout, "dist"))).toBe(false);
    return result.stderr;
  }

  it("Debian 12's Node.js 18 is refused with where to get 20, before any change", () => {
    fakeCommand(box.bin, "node", 'echo "v18.19.0"');
    const path = `${box.bin}:${pathWithout(join(box.dir, "node18"), (n) => n === "node")}`;
    const stderr = expectNothingChanged({ PATH: path });
    expect(stderr).toContain(`Node.js 20.16 or newer is needed; ${join(box.bin, "node")} is v18.19.0`);
    expect(stderr).toContain("NodeSource");
  });

  it("an update of a native module's source needs the compiler again", () => {
    const updated = makeSandbox();
    try {
      const future = new Date(Date.now() + 60_000);
      utimesSync(join(updated.checkout, "native/udp_batch.c"), future, future);
      const run = runInstall(updated, { PATH: withoutCompiler(join(updated.dir, "nocompiler")) });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("apt-get install build-essential python3");
    } finally {
      updated.cleanup();
    }
  });

  it("a missing compiler is named with the Debian packages that bring it, before any change", () => {
    const stderr = expectNothingChanged({ PATH: withoutCompiler(join(box.dir, "nocompiler")) });
    expect(stderr).toContain("make cc c++ python3 is missing: apt-get install build-essential python3");
  });
});

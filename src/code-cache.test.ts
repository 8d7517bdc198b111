import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readCodeCache, sourceChecksum, writeCodeCache } from "./code-cache.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "siteboot-cache-"));
  dirs.push(dir);
  return dir;
};

describe("code cache file", () => {
  it("is offered only for the exact source it was made from", () => {
    const file = join(scratch(), "program.js.cache");
    const v8Bytes = Buffer.from([1, 2, 10, 3, 0, 255]);
    writeCodeCache(file, "let a = 1;", v8Bytes);
    expect(readCodeCache(file, "let a = 1;")).toEqual({ data: v8Bytes, state: "used" });
    // V8 would accept a source of the same length; the checksum does not.
    expect(readCodeCache(file, "let a = 2;")).toEqual({ state: "stale" });
    expect(readCodeCache(join(scratch(), "missing.cache"), "x")).toEqual({ state: "absent" });
    writeFileSync(file, "no header line");
    expect(readCodeCache(file, "let a = 1;")).toEqual({ state: "stale" });
  });

  it("tells apart any two sources of the same length that differ in one character", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
        (text, at, c) => {
          const i = at % text.length;
          fc.pre(text[i] !== c);
          const edited = text.slice(0, i) + c + text.slice(i + 1);
          expect(sourceChecksum(edited)).not.toBe(sourceChecksum(text));
        },
      ),
    );
  });
});

describe("the launcher (dist/main.js)", () => {
  const built = ["dist/main.js", "dist/siteboot.js", "dist/siteboot.js.cache"];
  /** Runs `siteboot check` through the launcher in `dir`; prints how the launcher used the cache. */
  const check = (dir: string) =>
    execFileSync(
      process.execPath,
      [
        "-e",
        `process.argv = [process.argv[0], "main.js", "check", "-q", "-c", "config/site.yaml"];
         require(${JSON.stringify(join(dir, "dist/main.js"))});
         process.on("exit", (code) => console.log(code, globalThis[Symbol.for("siteboot.codeCache")]));`,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    ).trim();
  const copy = () => {
    const dir = scratch();
    execFileSync("mkdir", ["-p", join(dir, "dist")]);
    for (const f of [...built, "dist/package.json"]) copyFileSync(f, join(dir, f));
    // The native modules are found by walking up from the program.
    symlinkSync(resolve("build"), join(dir, "build"));
    return dir;
  };

  it("was built with a cache for this Node.js", () => {
    for (const f of built) expect(existsSync(f), f).toBe(true);
    expect(readCodeCache("dist/siteboot.js.cache", readFileSync("dist/siteboot.js", "utf8")).state).toBe(
      "used",
    );
  });

  it("runs the program the same with a stale, a damaged or no cache", () => {
    const stale = copy();
    writeFileSync(
      join(stale, "dist/siteboot.js"),
      readFileSync(join(stale, "dist/siteboot.js"), "utf8").replace("siteboot: ", "siteboot! "),
    );
    const damaged = copy();
    const bytes = readFileSync(join(damaged, "dist/siteboot.js.cache"));
    bytes.fill(7, bytes.indexOf(10) + 1, bytes.indexOf(10) + 200);
    writeFileSync(join(damaged, "dist/siteboot.js.cache"), bytes);
    const none = copy();
    rmSync(join(none, "dist/siteboot.js.cache"));
    expect(check(copy())).toBe("0 used");
    expect(check(stale)).toBe("0 stale");
    expect(check(damaged)).toBe("0 rejected");
    expect(check(none)).toBe("0 absent");
  });
});

import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ResolveCache } from "./resolve-cache.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function root(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "siteboot-resolve-")));
  dirs.push(dir);
  return dir;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ResolveCache", () => {
  it("keeps an answer for its validity, then looks again", async () => {
    const dir = root();
    const cache = new ResolveCache(dir, 150);
    writeFileSync(join(dir, "a.cfg"), "one");
    const first = await cache.resolve(["a.cfg"], "a.cfg");
    expect(first).toMatchObject({ ok: true, size: 3 });
    writeFileSync(join(dir, "a.cfg"), "three");
    expect(await cache.resolve(["a.cfg"], "a.cfg")).toBe(first);
    await sleep(200);
    expect(await cache.resolve(["a.cfg"], "a.cfg")).toMatchObject({ ok: true, size: 5 });
  });

  it("keeps a missing file missing for its validity, then finds it", async () => {
    const dir = root();
    const cache = new ResolveCache(dir, 150);
    expect(await cache.resolve(["new.cfg"], "new.cfg")).toMatchObject({ ok: false, reason: "not-found" });
    writeFileSync(join(dir, "new.cfg"), "x");
    expect(await cache.resolve(["new.cfg"], "new.cfg")).toMatchObject({ ok: false });
    await sleep(200);
    expect(await cache.resolve(["new.cfg"], "new.cfg")).toMatchObject({ ok: true, size: 1 });
  });

  it("shares one resolution between concurrent requests and holds at most its entry limit", async () => {
    const dir = root();
    writeFileSync(join(dir, "a.cfg"), "a");
    const cache = new ResolveCache(dir, 60_000, 2);
    const [x, y] = [cache.resolve(["a.cfg"], "a.cfg"), cache.resolve(["a.cfg"], "a.cfg")];
    expect(x).toBe(y);
    await cache.resolve(["b.cfg"], "b.cfg");
    await cache.resolve(["c.cfg"], "c.cfg"); // a.cfg, the oldest, makes room
    writeFileSync(join(dir, "a.cfg"), "changed");
    expect(await cache.resolve(["a.cfg"], "a.cfg")).toMatchObject({ ok: true, size: 7 });
  });
});

import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { checkName, MAX_NAME_BYTES } from "../../src/provision/path-guard.js";
import { OTHER_MAC, PHONE_MAC, provisioningFixture } from "./fixture.js";

const fx = provisioningFixture();
afterAll(() => fx.cleanup());
const catalog = fx.catalog();
fx.leases.set(PHONE_MAC, { mac: PHONE_MAC, address: "127.0.0.1", hostname: "SEP1", vendorClass: "Polycom" });

function text(lookup: Awaited<ReturnType<typeof catalog.lookup>>): string | undefined {
  return lookup.kind === "rendered" ? lookup.bytes.toString() : undefined;
}

describe("provisioning catalog", () => {
  it("serves a file of the requested name before any template", async () => {
    expect(await catalog.lookup("0004f2000002.cfg", { client: "127.0.0.9" })).toMatchObject({
      kind: "file",
      size: 9,
    });
    expect(await catalog.lookup("./common.cfg", { client: "127.0.0.9" })).toMatchObject({ kind: "file" });
  });

  it("renders a per-phone file from the MAC in the name, in any spelling, with lease, host, vars and site", async () => {
    const expected =
      "mac=0004F2000001\next=1001\nuser=alice@fabrikam.com\nip=127.0.0.1\nserver=127.0.0.1\nname=desk-1\n";
    for (const name of [
      "0004f2000001.cfg",
      "0004F2000001.cfg",
      "00:04:f2:00:00:01.cfg",
      "00-04-F2-00-00-01.cfg",
    ]) {
      const found = await catalog.lookup(name, { client: "127.0.0.9" });
      expect(found).toMatchObject({
        kind: "rendered",
        mac: PHONE_MAC,
        template: "templates/phone.cfg.mustache",
      });
      expect(text(found)).toBe(expected);
    }
  });

  it("escapes values for XML in an XML template and falls back to the site vars for an unknown phone", async () => {
    expect(text(await catalog.lookup("cfg/0004f2000001.xml", { client: "x" }))).toBe(
      '<phone mac="00:04:f2:00:00:01"><label>R&amp;D &lt;1&gt;</label></phone>\n',
    );
    expect(text(await catalog.lookup("0004f20000aa.cfg", { client: "x" }))).toContain(
      "ext=none\nuser=nobody@",
    );
  });

  it("takes the MAC from the request, else from the lease of the client's address, for a name without one", async () => {
    expect(text(await catalog.lookup("phone.cfg", { client: "198.51.100.9", mac: OTHER_MAC }))).toContain(
      "mac=0004F2000002",
    );
    expect(text(await catalog.lookup("phone.cfg", { client: "127.0.0.1" }))).toContain("mac=0004F2000001");
    expect(await catalog.lookup("phone.cfg", { client: "198.51.100.9" })).toMatchObject({
      kind: "not-found",
    });
  });

  it("refuses names that leave the root, symbolic links out of it included, and finds nothing else", async () => {
    for (const name of [
      "../secret.txt",
      "/etc/passwd",
      "a/../../secret.txt",
      "a\\..\\b",
      "x\0y",
      "a".repeat(300),
    ]) {
      expect(await catalog.lookup(name, { client: "x" })).toMatchObject({ kind: "refused" });
    }
    expect(await catalog.lookup("escape.txt", { client: "x" })).toMatchObject({
      kind: "refused",
      reason: "forbidden",
    });
    expect(await catalog.lookup("alias.cfg", { client: "x" })).toMatchObject({ kind: "file" });
    expect(await catalog.lookup("firmware", { client: "x" })).toMatchObject({ kind: "directory" });
    expect(await catalog.lookup("missing.bin", { client: "x" })).toMatchObject({ kind: "not-found" });
    expect(await catalog.lookup("templates/phone.cfg.mustache", { client: "x" })).toMatchObject({
      kind: "not-found",
    });
  });
});

const segment = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "",
    "common.cfg",
    "escape.txt",
    "templates",
    "firmware",
    "..%2f",
    "\\..",
    "\0",
    "~",
  ),
  fc.string({ maxLength: 12 }),
);

describe("path guard (fuzz)", () => {
  it("never lets a name reach a file outside the root, whatever it is made of", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 8 }), fc.boolean(), async (segments, absolute) => {
        const name = `${absolute ? "/" : ""}${segments.join("/")}`;
        const found = await catalog.lookup(name, { client: "x" });
        if (found.kind === "file" || found.kind === "directory") {
          expect(found.path === fx.root || found.path.startsWith(`${fx.root}/`)).toBe(true);
        }
        const checked = checkName(name);
        if (checked.ok) {
          expect(checked.segments).not.toContain("..");
          expect(name.startsWith("/")).toBe(false);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it("refuses every name with a NUL, or longer than the limit", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(checkName(`${a}\0${b}`).ok).toBe(false);
        expect(checkName(`${a}${"x".repeat(MAX_NAME_BYTES + 1)}`)).toMatchObject({
          ok: false,
          reason: "bad-name",
        });
      }),
    );
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/cli/check.js";
import { runExplain } from "../../src/cli/explain.js";
import { PHONE_MAC, provisioningFixture } from "./fixture.js";

const fx = provisioningFixture();
afterAll(() => fx.cleanup());

async function capture(command: (out: (l: string) => void, err: (l: string) => void) => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("check and explain for provisioning", () => {
  it("check lists the servers, the templates and which phone gets which file", async () => {
    const r = await capture((out, err) => runCheck(fx.file, out, err));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`# Provisioning enabled: ${fx.root} over TFTP port 0, HTTP port 0`);
    expect(r.out).toContain("template {mac}.cfg ← templates/phone.cfg.mustache");
    expect(r.out).toContain(
      `phone ${PHONE_MAC} (desk-1): 0004f2000001.cfg ← templates/phone.cfg.mustache, cfg/0004f2000001.xml ← templates/phone.xml.mustache`,
    );
  });

  it("explain --mac shows the URLs and the rendered file for that phone, and a phone's own file on disk", async () => {
    const r = await capture((out, err) => runExplain(fx.file, { mac: "00-04-F2-00-00-01" }, out, err));
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "url      tftp://127.0.0.1:0/0004f2000001.cfg  http://127.0.0.1:0/0004f2000001.cfg",
    );
    expect(r.out).toContain("  | ext=1001\n  | user=alice@fabrikam.com\n  | ip=\n");
    const other = await capture((out, err) => runExplain(fx.file, { mac: "00:04:f2:00:00:02" }, out, err));
    expect(other.out).toMatch(/file {5}.*0004f2000002\.cfg \(on disk, 9 bytes; not a template\)/);
  });
});

import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { Appliance } from "../../src/appliance.js";
import type { ControlServer } from "../../src/observe/control-server.js";
import { createLogger } from "../../src/observe/log.js";
import type { ProvisioningService } from "../../src/provision/provisioning-service.js";
import { PHONE_MAC, provisioningFixture } from "./fixture.js";

const run = promisify(execFile);
const fx = provisioningFixture();
const appliance = new Appliance({
  file: fx.file,
  log: createLogger({
    pretty: false,
    destination: new Writable({ write: (_c, _e, done) => done() }),
    level: "info",
  }),
  stateDir: join(fx.dir, "state"),
  watchFile: false,
});
afterAll(async () => {
  await appliance.stop();
  fx.cleanup();
});

describe("provisioning in the appliance", () => {
  it("serves TFTP and HTTP, records each fetch in the phone's timeline and in /metrics, and reloads", async () => {
    await appliance.start();
    const service = appliance.service("provisioning") as ProvisioningService;
    const { tftp, http } = service.ports();
    const control = (appliance.service("control") as ControlServer).address();
    const controlUrl = `http://127.0.0.1:${control?.port}`;

    const body = await (await fetch(`http://127.0.0.1:${http}/0004f2000001.cfg`)).text();
    expect(body).toContain("ext=1001");
    const local = join(fx.dir, "via-tftp.cfg");
    await run("tftp", ["-m", "binary", "127.0.0.1", String(tftp), "-c", "get", "0004f2000001.cfg", local]);
    expect(readFileSync(local, "utf8")).toBe(body);

    const timeline = (await (await fetch(`${controlUrl}/clients/${PHONE_MAC}/timeline`)).json()) as {
      kind: string;
      summary: string;
    }[];
    expect(timeline.map((e) => [e.kind, e.summary])).toEqual([
      ["provisioning", `HTTP /0004f2000001.cfg → complete (${body.length} bytes)`],
      ["provisioning", `TFTP 0004f2000001.cfg → complete (${body.length} bytes)`],
    ]);
    const metrics = await (await fetch(`${controlUrl}/metrics`)).text();
    expect(metrics).toContain('siteboot_provisioning_fetches_total{protocol="http",result="complete"} 1');
    expect(metrics).toContain('siteboot_provisioning_fetches_total{protocol="tftp",result="complete"} 1');
    expect(metrics).toContain(`siteboot_provisioning_bytes_total{protocol="http"} ${body.length}`);
    expect(metrics).toContain(`siteboot_provisioning_bytes_total{protocol="tftp"} ${body.length}`);

    writeFileSync(fx.file, fx.text.replace("extension: 1001", "extension: 2002"));
    expect(await appliance.reload("test")).toBe(true);
    expect(service.ports()).toEqual({ tftp, http, https: undefined });
    expect(await (await fetch(`http://127.0.0.1:${http}/0004f2000001.cfg`)).text()).toContain("ext=2002");
  });
});

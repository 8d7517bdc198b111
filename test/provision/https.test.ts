import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { RecordingSink } from "../../src/observe/events.js";
import { ProvisioningService } from "../../src/provision/provisioning-service.js";
import { provisioningFixture } from "./fixture.js";

const run = promisify(execFile);
const certs = mkdtempSync(join(tmpdir(), "siteboot-prov-tls-"));
const cert = join(certs, "cert.pem");
const key = join(certs, "key.pem");
execFileSync(
  "openssl",
  [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-days",
    "1",
    "-keyout",
    key,
    "-out",
    cert,
  ],
  { stdio: "ignore" },
);
const fx = provisioningFixture(`  http: { https: { cert: ${cert}, key: ${key} } }\n`);
const events = new RecordingSink();
const service = new ProvisioningService(fx.site, { events, phones: fx.phones });

afterAll(async () => {
  await service.stop();
  fx.cleanup();
  rmSync(certs, { recursive: true, force: true });
});

describe("HTTPS provisioning", () => {
  it("serves the same files over HTTPS with the configured certificate, beside plain HTTP", async () => {
    await service.start();
    const { http, https } = service.ports();
    expect(https).toBeGreaterThan(0);
    const { stdout } = await run("curl", [
      "-sf",
      "--cacert",
      cert,
      `https://127.0.0.1:${https}/0004f2000001.cfg`,
    ]);
    expect(stdout).toContain("ext=1001");
    const plain = await run("curl", ["-sf", `http://127.0.0.1:${http}/common.cfg`]);
    expect(plain.stdout).toBe("shared=1\n");
    const fetches = events.events.filter((e) => e.type === "provisioning.fetch");
    expect(fetches.map((e) => e.type === "provisioning.fetch" && e.protocol)).toEqual(["https", "http"]);
  });

  it("reports a certificate or key that cannot be read at its line", () => {
    expect(() =>
      provisioningFixture("  http: { https: { cert: /nonexistent/cert.pem, key: key.pem } }\n"),
    ).toThrow(
      /site\.yaml:\d+:\d+: provisioning\.http\.https\.cert: cannot read \/nonexistent\/cert\.pem: ENOENT/,
    );
  });

  it("refuses, at the certificate, a key that is not the certificate's or a file that is not PEM", () => {
    const other = fileURLToPath(new URL("../config/fixtures/tls/key.pem", import.meta.url));
    expect(() => provisioningFixture(`  http: { https: { cert: ${cert}, key: ${other} } }\n`)).toThrow(
      /provisioning\.http\.https\.cert: (the key is not the certificate.s|cannot serve HTTPS: .*mismatch)/i,
    );
    const notPem = fileURLToPath(new URL("../../README.md", import.meta.url));
    expect(() => provisioningFixture(`  http: { https: { cert: ${notPem}, key: ${key} } }\n`)).toThrow(
      /provisioning\.http\.https\.cert: the certificate and key cannot serve HTTPS/,
    );
  });
});

import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FetchOutcome } from "../../src/provision/fetch-event.js";
import { ProvisioningHttpServer } from "../../src/provision/http-server.js";
import { PHONE_MAC, provisioningFixture } from "./fixture.js";

const run = promisify(execFile);
const fx = provisioningFixture();
const fetches: FetchOutcome[] = [];
const errors: Error[] = [];
const server = new ProvisioningHttpServer({
  catalog: fx.catalog,
  onFetch: (o) => fetches.push(o),
  onError: (e) => errors.push(e),
});
let base = "";
const FIRMWARE = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

beforeAll(async () => {
  writeFileSync(join(fx.root, "firmware", "fw.bin"), FIRMWARE);
  fx.leases.set(PHONE_MAC, { mac: PHONE_MAC, address: "127.0.0.1" });
  await server.listen(["127.0.0.1"], 0);
  base = `http://127.0.0.1:${server.ports().http}`;
});
afterAll(async () => {
  await server.close();
  fx.cleanup();
  expect(errors).toEqual([]);
});

/** curl's status line, headers (lowercased names) and body. */
async function curl(path: string, ...args: string[]) {
  const { stdout } = await run("curl", ["-s", "-i", "--path-as-is", ...args, `${base}${path}`], {
    encoding: "latin1",
    timeout: 10_000,
  });
  const split = stdout.indexOf("\r\n\r\n");
  const [status, ...lines] = stdout.slice(0, split).split("\r\n");
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
  );
  return { status: Number(status?.split(" ")[1]), headers, body: stdout.slice(split + 4) };
}

describe("HTTP provisioning with curl", () => {
  it("GETs a file with ETag and Last-Modified, and answers 304 to If-None-Match and If-Modified-Since", async () => {
    const first = await curl("/common.cfg");
    expect(first).toMatchObject({ status: 200, body: "shared=1\n" });
    expect(first.headers["content-type"]).toBe("text/plain; charset=utf-8");
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"9-[0-9a-f]+"$/);
    expect((await curl("/common.cfg", "-H", `If-None-Match: ${etag}`)).status).toBe(304);
    expect((await curl("/common.cfg", "-H", 'If-None-Match: "other"')).status).toBe(200);
    const since = first.headers["last-modified"] as string;
    expect((await curl("/common.cfg", "-H", `If-Modified-Since: ${since}`)).status).toBe(304);
    expect(fetches.at(-1)).toMatchObject({ result: "not-modified", protocol: "http", file: "/common.cfg" });
  });

  it("answers a Range with 206 and the exact bytes, and 416 past the end", async () => {
    const part = await curl("/firmware/fw.bin", "-r", "100-199");
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe("bytes 100-199/5000");
    expect(Buffer.from(part.body, "latin1").equals(FIRMWARE.subarray(100, 200))).toBe(true);
    const tail = await curl("/firmware/fw.bin", "-r", "-10");
    expect(Buffer.from(tail.body, "latin1").equals(FIRMWARE.subarray(4990))).toBe(true);
    const past = await curl("/firmware/fw.bin", "-r", "6000-");
    expect(past.status).toBe(416);
    expect(past.headers["content-range"]).toBe("bytes */5000");
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const head = await curl("/firmware/fw.bin", "-I");
    expect(head).toMatchObject({ status: 200, body: "" });
    expect(head.headers["content-length"]).toBe("5000");
    expect(head.headers["accept-ranges"]).toBe("bytes");
  });

  it("renders the phone's file from the MAC in the path, in ?id=, or from the client's lease", async () => {
    const byPath = await curl("/cfg/0004F2000001.xml");
    expect(byPath.body).toBe('<phone mac="00:04:f2:00:00:01"><label>R&amp;D &lt;1&gt;</label></phone>\n');
    expect(byPath.headers["content-type"]).toBe("application/xml");
    expect(byPath.headers["cache-control"]).toBe("no-cache");
    expect((await curl("/cfg/0004F2000001.xml", "-H", `If-None-Match: ${byPath.headers.etag}`)).status).toBe(
      304,
    );
    expect((await curl("/phone.cfg?id=0004f2000002")).body).toContain("mac=0004F2000002\next=none");
    expect((await curl("/phone.cfg")).body).toContain("mac=0004F2000001\next=1001");
    expect(fetches.at(-1)).toMatchObject({
      result: "complete",
      mac: PHONE_MAC,
      template: "templates/phone.cfg.mustache",
    });
    expect((await curl("/phone.cfg?id=nonsense")).status).toBe(400);
  });

  it("refuses escapes from the root (403), malformed names (400), folders (404) and writes (405)", async () => {
    expect((await curl("/cfg/..%2f..%2fsecret.txt")).status).toBe(403);
    expect((await curl("/%2e%2e/secret.txt")).status).toBe(404); // the URL itself resolves the dots: inside the root
    expect((await curl("/..%2fsecret.txt")).status).toBe(403);
    expect((await curl("/escape.txt")).status).toBe(403);
    expect((await curl("/a%00b")).status).toBe(400);
    expect((await curl("/%zz")).status).toBe(400);
    expect((await curl(`/${"a".repeat(300)}`)).status).toBe(400);
    expect((await curl("/firmware/")).status).toBe(404);
    expect((await curl("/missing.cfg")).status).toBe(404);
    const put = await curl("/common.cfg", "-X", "PUT", "-d", "x");
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, HEAD");
  });

  it("answers any raw request path without a 5xx and without bytes from outside the root (fuzz)", async () => {
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port: server.ports().http, path }, (res) => {
          let body = "";
          res.on("data", (c) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
      });
    const piece = fc.constantFrom(
      "..",
      "%2e%2e",
      "%2f",
      "%5c",
      "%00",
      "escape.txt",
      "secret.txt",
      "common.cfg",
      "/",
      "//",
      "?id=",
      "%",
      "~",
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(piece, fc.webSegment()), { maxLength: 6 }), async (parts) => {
        const { status, body } = await raw(`/${parts.join("/")}`);
        expect(status).toBeLessThan(500);
        expect(body).not.toContain("outside the root");
      }),
      { numRuns: 300 },
    );
  });
});

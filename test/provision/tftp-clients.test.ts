import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FetchOutcome } from "../../src/provision/fetch-event.js";
import { encodeAck, encodeRequest } from "../../src/provision/tftp-packet.js";
import { TftpServer } from "../../src/provision/tftp-server.js";
import { PHONE_MAC, provisioningFixture } from "./fixture.js";

const run = promisify(execFile);
const fx = provisioningFixture();
const fetches: FetchOutcome[] = [];
const errors: Error[] = [];
const server = new TftpServer({
  catalog: fx.catalog,
  onFetch: (o) => fetches.push(o),
  onError: (e) => errors.push(e),
});
let port = 0;

/** Bytes that differ from block to block, so a block sent twice or out of place shows. */
function pattern(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) b.writeUInt32BE(i >>> 0, i);
  return b;
}

const BIG = 33 * 1024 * 1024 + 123; // over 32 MiB: 512-byte blocks cross block number 65535 → 0
beforeAll(async () => {
  writeFileSync(join(fx.root, "firmware", "big.bin"), pattern(BIG));
  writeFileSync(join(fx.root, "firmware", "small.bin"), pattern(100_000));
  fx.leases.set(PHONE_MAC, { mac: PHONE_MAC, address: "127.0.0.1" });
  await server.listen(["127.0.0.1"], 0);
  port = server.port() as number;
});
afterAll(async () => {
  await server.close();
  fx.cleanup();
  expect(errors).toEqual([]);
});

const out = (name: string) => join(fx.dir, `out-${name}`);
const hpa = (remote: string, local: string, mode = "binary") =>
  run("tftp", ["-m", mode, "127.0.0.1", String(port), "-c", "get", remote, local], { timeout: 120_000 });
const busybox = (remote: string, local: string, ...extra: string[]) =>
  run("busybox", ["tftp", "-g", "-r", remote, "-l", local, ...extra, "127.0.0.1", String(port)], {
    timeout: 120_000,
  });
const atftp = (remote: string, local: string, ...options: string[]) =>
  run(
    "atftp",
    ["-g", "-r", remote, "-l", local, ...options.flatMap((o) => ["--option", o]), "127.0.0.1", String(port)],
    {
      timeout: 120_000,
    },
  );

function same(local: string, expected: Buffer): boolean {
  return readFileSync(local).equals(expected);
}

describe("TFTP with real clients", () => {
  it("tftp-hpa fetches a static file and a rendered per-phone file (no options, 512-byte blocks)", async () => {
    await hpa("common.cfg", out("hpa-common"));
    expect(readFileSync(out("hpa-common"), "utf8")).toBe("shared=1\n");
    await hpa("0004F2000001.cfg", out("hpa-phone"));
    expect(readFileSync(out("hpa-phone"), "utf8")).toContain("mac=0004F2000001\next=1001\n");
    expect(fetches.at(-1)).toMatchObject({
      result: "complete",
      mac: PHONE_MAC,
      template: "templates/phone.cfg.mustache",
    });
  });

  it("tftp-hpa in netascii mode gets the text back unchanged (CR LF on the wire)", async () => {
    await hpa("common.cfg", out("hpa-ascii"), "netascii");
    expect(readFileSync(out("hpa-ascii"), "utf8")).toBe("shared=1\n");
  });

  it("tftp-hpa gets a file over 32 MiB intact across the block-number wrap", async () => {
    await hpa("firmware/big.bin", out("hpa-big"));
    expect(same(out("hpa-big"), pattern(BIG))).toBe(true);
    expect(fetches.at(-1)).toMatchObject({ result: "complete", bytes: BIG });
  }, 180_000);

  it("busybox tftp with blksize fetches a file, and a 32 MiB+ one across the wrap", async () => {
    await busybox("firmware/small.bin", out("bb-small"), "-b", "1024");
    expect(same(out("bb-small"), pattern(100_000))).toBe(true);
    await busybox("firmware/big.bin", out("bb-big"));
    expect(same(out("bb-big"), pattern(BIG))).toBe(true);
  }, 180_000);

  it("atftp negotiates blksize, tsize and windowsize", async () => {
    await atftp("firmware/small.bin", out("at-small"), "blksize 1400", "tsize 0", "windowsize 8");
    expect(same(out("at-small"), pattern(100_000))).toBe(true);
    expect(fetches.at(-1)).toMatchObject({ result: "complete", bytes: 100_000, file: "firmware/small.bin" });
  });

  it("answers error 1 for a missing file and error 2 for a name outside the root", async () => {
    // tftp-hpa reports a server error on stdout and exits 0.
    expect((await hpa("missing.cfg", out("missing"))).stdout).toContain("Error code 1: File not found");
    await expect(busybox("../secret.txt", out("secret"))).rejects.toMatchObject({
      stderr: expect.stringMatching(/\.\." in the name/),
    });
    await expect(atftp("escape.txt", out("escape"))).rejects.toBeTruthy();
    expect(fetches.slice(-3).map((f) => f.result)).toEqual(["not-found", "refused", "refused"]);
  });

  it("starts one transfer for a request repeated from the same client port", async () => {
    const socket = dgram.createSocket("udp4");
    const sources = new Set<number>();
    socket.on("message", (_message, from) => sources.add(from.port));
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const request = encodeRequest("RRQ", "common.cfg", "octet");
    socket.send(request, port, "127.0.0.1");
    socket.send(request, port, "127.0.0.1");
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.close();
    expect(sources.size).toBe(1);
  });

  it("serves a new request from a port whose earlier transfer has moved (the client reused its port)", async () => {
    const socket = dgram.createSocket("udp4");
    const replies: { port: number; op: number; block: number; length: number }[] = [];
    socket.on("message", (m, from) =>
      replies.push({
        port: from.port,
        op: m.readUInt16BE(0),
        block: m.readUInt16BE(2),
        length: m.length - 4,
      }),
    );
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const wait = () => new Promise((resolve) => setTimeout(resolve, 200));
    socket.send(encodeRequest("RRQ", "firmware/small.bin", "octet"), port, "127.0.0.1");
    await wait();
    const first = replies[0];
    socket.send(encodeAck(1), first?.port ?? 0, "127.0.0.1");
    await wait();
    socket.send(encodeRequest("RRQ", "common.cfg", "octet"), port, "127.0.0.1");
    await wait();
    socket.close();
    expect(first).toMatchObject({ op: 3, block: 1, length: 512 });
    expect(replies.at(-1)).toMatchObject({ op: 3, block: 1, length: 9 });
    expect(replies.at(-1)?.port).not.toBe(first?.port);
    expect(fetches.some((f) => f.file === "firmware/small.bin" && f.result === "aborted")).toBe(true);
  });
});

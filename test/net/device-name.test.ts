/**
 * Interface names at the limit: Linux allows 15 bytes (IFNAMSIZ is 16 with the NUL), and USB NICs
 * are named enx<MAC>, exactly 15. Such a name must bind; a 16-byte one must be refused clearly.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { UdpBatchSocket } from "../../src/net/udp-batch.js";
import { canUseNetns, NetnsLab } from "../helpers/netns.js";

const run = promisify(execFile);
const FIFTEEN = "enx0a1b2c3d4e5f";
const SIXTEEN = "enx0a1b2c3d4e5f6";

function openOn(device: string): UdpBatchSocket {
  return UdpBatchSocket.open(
    "0.0.0.0",
    0,
    { device, reuseAddress: true, timestamps: false },
    () => {},
    () => {},
  );
}

describe("device names at the IFNAMSIZ limit", () => {
  it("takes a 15-character name (so a missing one is reported as missing, not as too long)", () => {
    expect(FIFTEEN).toHaveLength(15);
    expect(() => openOn(FIFTEEN)).toThrow(`interface ${FIFTEEN} does not exist`);
  });

  it("refuses a 16-character name with a clear error, never cutting it to 15", () => {
    let caught: NodeJS.ErrnoException | undefined;
    try {
      openOn(SIXTEEN).close();
    } catch (error) {
      caught = error as NodeJS.ErrnoException;
    }
    expect(caught?.code).toBe("EINVAL");
    expect(caught?.message).toMatch(/options\.device must be an interface name of 1 to 15 characters/);
    expect(() => openOn("")).toThrow(/options\.device/);
  });
});

/**
 * In a namespace of its own, a socket bound to a veth end named with 15 characters receives a
 * datagram sent from the peer namespace. A child process opens it there (SO_BINDTODEVICE names a
 * device of the caller's namespace).
 */
const CHILD = `
import { createRequire } from "node:module";
const edge = createRequire(process.cwd() + "/")("./build/Release/udp_batch.node");
const [device, port] = process.argv.slice(1);
const opened = edge.open("0.0.0.0", Number(port), { device, reuseAddress: true, timestamps: false }, (count) => {
  const meta = new Int32Array(opened.recvMeta);
  const bytes = Buffer.from(opened.recv, 0, meta[0]);
  console.log("got " + bytes.toString() + " x" + count);
  edge.close(opened.handle);
});
console.log("bound " + opened.port);
setTimeout(() => process.exit(3), 10_000).unref();
`;

describe.skipIf(!canUseNetns())("a 15-character device in a test namespace", () => {
  const lab = new NetnsLab();
  afterAll(() => lab.destroy());

  it("binds and receives through it", async () => {
    const server = lab.namespace("ifn");
    const peer = lab.namespace("ifp");
    lab.link(
      { ns: server, ifname: FIFTEEN, address: "198.51.100.1/24" },
      { ns: peer, ifname: "peer0", address: "198.51.100.2/24" },
    );
    const child = lab.spawn(server, process.execPath, ["--input-type=module", "-e", CHILD, FIFTEEN, "10053"]);
    let output = "";
    let errors = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    const until = async (text: string, ms: number) => {
      const deadline = Date.now() + ms;
      while (!output.includes(text) && child.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    };
    await until("bound 10053", 5000);
    expect(output, errors).toContain("bound 10053");
    // A few tries: the first datagram may wait for ARP on the fresh link.
    for (let i = 0; i < 5 && !output.includes("got"); i++) {
      await run("ip", [
        "netns",
        "exec",
        peer,
        process.execPath,
        "-e",
        `const s=require("node:dgram").createSocket("udp4");s.send("hello",10053,"198.51.100.1",()=>s.close())`,
      ]);
      await until("got", 1000);
    }
    expect(output, errors).toContain("got hello x1");
  });
});

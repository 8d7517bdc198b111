/**
 * Provisioning benchmark. TFTP: 200 concurrent read transfers of a 1 MiB file (blksize 1468, as a
 * phone on Ethernet asks), siteboot as deployed (the built program) against dnsmasq's TFTP server,
 * alternating, medians of 3 rounds. HTTP: requests per second of small per-phone files rendered
 * from a template, over keep-alive connections. Everything on loopback; every round is bounded in
 * time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDgram } from "../../src/net/close-dgram.js";
import { decodeTftp, encodeAck, encodeRequest } from "../../src/provision/tftp-packet.js";
import { serviceEnvironment } from "../helpers/service-node-flags.js";
import { median, stopChild, waitForOutput } from "./bench-kit.js";

const TRANSFERS = 200;
const FILE_BYTES = 1024 * 1024;
const BLKSIZE = 1468;
const ROUNDS = 3;
const ROUND_LIMIT_MS = 60_000;
const SITEBOOT_ADDRESS = "127.0.0.3";
const DNSMASQ_ADDRESS = "127.0.0.2";
const HTTP_REQUESTS = 5000;
const HTTP_CONCURRENCY = 32;

interface TransferResult {
  readonly ok: boolean;
  readonly bytes: number;
}

/** One read transfer with options, answering every DATA with its ACK; resends the last ACK on silence. */
function fetchOnce(address: string, name: string, limitMs: number): Promise<TransferResult> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    let bytes = 0;
    let expected = 1;
    let last: Buffer = encodeRequest(
      "RRQ",
      name,
      "octet",
      new Map([
        ["blksize", String(BLKSIZE)],
        ["tsize", "0"],
      ]),
    );
    let peer: { port: number } | undefined;
    const send = () => socket.send(last, peer?.port ?? 69, address);
    let resend = setInterval(send, 1000);
    let ended = false;
    /** The final ACK is on its way: later datagrams are duplicates. */
    let finishing = false;
    const end = (ok: boolean) => {
      if (ended) return;
      ended = true;
      clearInterval(resend);
      clearTimeout(limit);
      void closeDgram(socket).then(() => resolve({ ok, bytes }));
    };
    const limit = setTimeout(() => end(false), limitMs);
    let blockSize = 512;
    socket.on("message", (message, from) => {
      if (ended || finishing) return;
      const d = decodeTftp(message);
      if (!d.ok) return;
      const p = d.packet;
      // The transfer's port is the one its first answer comes from: an OACK or DATA block 1, never
      // a stray resend of an earlier transfer that used this client port.
      if (peer === undefined && !(p.op === "OACK" || (p.op === "DATA" && p.block === 1) || p.op === "ERROR"))
        return;
      peer ??= { port: from.port };
      if (from.port !== peer.port) return;
      if (p.op === "ERROR") return end(false);
      if (p.op === "OACK") {
        blockSize = Number(p.options.get("blksize") ?? 512);
        last = encodeAck(0);
      } else if (p.op === "DATA") {
        if (p.block === (expected & 0xffff)) {
          bytes += p.data.length;
          expected++;
        }
        last = encodeAck(expected - 1);
        if (p.block === ((expected - 1) & 0xffff) && p.data.length < blockSize) {
          // Closing at once would drop the final ACK still on its way to the socket; the server
          // would then resend its last block until it gave up.
          clearInterval(resend);
          finishing = true;
          socket.send(last, peer.port, address, () => end(true));
          return;
        }
      } else return;
      clearInterval(resend);
      resend = setInterval(send, 1000);
      send();
    });
    socket.bind(0, "127.0.0.1", send);
  });
}

async function tftpRound(address: string): Promise<{ seconds: number; complete: number }> {
  const started = process.hrtime.bigint();
  const results = await Promise.all(
    Array.from({ length: TRANSFERS }, (_, i) => fetchOnce(address, `files/f${i % 20}.bin`, ROUND_LIMIT_MS)),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, complete: results.filter((r) => r.ok && r.bytes === FILE_BYTES).length };
}

function startSiteboot(dir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["dist/main.js", "serve", "-c", join(dir, "site.yaml"), "--state-dir", join(dir, "state")],
    { env: serviceEnvironment(), stdio: ["ignore", "pipe", "pipe"] },
  );
  return started(child, "siteboot serving", "siteboot");
}

function startDnsmasq(root: string): Promise<ChildProcess> {
  const child = spawn(
    "dnsmasq",
    [
      "-k",
      "--conf-file=/dev/null",
      "--port=0",
      "--enable-tftp",
      `--tftp-root=${root}`,
      `--listen-address=${DNSMASQ_ADDRESS}`,
      "--bind-interfaces",
      "--tftp-max=1000",
      "--user=root",
      "--pid-file=",
      "--log-facility=-",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return started(child, "TFTP root", "dnsmasq");
}

/** The child once it says `marker`; a child that does not is stopped, not left behind. */
async function started(child: ChildProcess, marker: string, what: string): Promise<ChildProcess> {
  try {
    await waitForOutput(child, marker, what);
    return child;
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

async function httpRate(port: number): Promise<{ perSecond: number; failed: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
  let next = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < HTTP_REQUESTS) {
      const i = next++;
      const mac = `0004f2${(i % 4096).toString(16).padStart(6, "0")}`;
      const ok = await new Promise<boolean>((resolve) => {
        const req = http.get({ host: SITEBOOT_ADDRESS, port, path: `/cfg/${mac}.xml`, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode === 200));
        });
        req.setTimeout(5000, () => req.destroy());
        req.on("error", () => resolve(false));
      });
      if (!ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return { perSecond: HTTP_REQUESTS / seconds, failed };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "siteboot-bench-prov-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "files"), { recursive: true });
  mkdirSync(join(root, "templates"));
  const content = Buffer.alloc(FILE_BYTES);
  for (let i = 0; i < FILE_BYTES; i++) content[i] = (i * 131) & 0xff;
  for (let i = 0; i < 20; i++) writeFileSync(join(root, "files", `f${i}.bin`), content);
  writeFileSync(
    join(root, "templates", "phone.xml.mustache"),
    '<phone mac="{{MAC}}"><sip user="{{vars.user}}" domain="{{site.sipDomain}}" server="{{site.address}}"/></phone>\n',
  );
  writeFileSync(
    join(dir, "site.yaml"),
    `site: { name: bench, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: ${SITEBOOT_ADDRESS}, bind: [${SITEBOOT_ADDRESS}], ports: { http: 8080 } }
log: { level: info, events: silent }
dhcp: { enabled: false }
dns: { enabled: false }
ntp: { enabled: false }
control: { enabled: false }
provisioning:
  root: root
  vars: { user: bench }
  files: [{ path: "cfg/{mac}.xml", template: templates/phone.xml.mustache }]
  tftp: { maxBlockSize: ${BLKSIZE} }
`,
  );
  let siteboot: ChildProcess | undefined;
  let dnsmasq: ChildProcess | undefined;
  try {
    siteboot = await startSiteboot(dir);
    dnsmasq = await startDnsmasq(root);
    const rounds: Record<"siteboot" | "dnsmasq", { seconds: number; complete: number }[]> = {
      siteboot: [],
      dnsmasq: [],
    };
    for (let r = 0; r < ROUNDS; r++) {
      const order: ("siteboot" | "dnsmasq")[] =
        r % 2 === 0 ? ["siteboot", "dnsmasq"] : ["dnsmasq", "siteboot"];
      for (const server of order) {
        rounds[server].push(await tftpRound(server === "siteboot" ? SITEBOOT_ADDRESS : DNSMASQ_ADDRESS));
      }
    }
    const figures = (server: "siteboot" | "dnsmasq") => {
      const seconds = median(rounds[server].map((x) => x.seconds));
      const complete = Math.min(...rounds[server].map((x) => x.complete));
      return { seconds, complete, files: TRANSFERS / seconds, mb: (TRANSFERS * FILE_BYTES) / 1e6 / seconds };
    };
    const s = figures("siteboot");
    const d = figures("dnsmasq");
    console.log(
      `TFTP: ${TRANSFERS} concurrent transfers of 1 MiB, blksize ${BLKSIZE}, median of ${ROUNDS} rounds`,
    );
    console.log("| server | complete (worst round) | seconds | files/s | MB/s |");
    console.log("|---|---|---|---|---|");
    for (const [name, f] of [
      ["siteboot", s],
      ["dnsmasq", d],
    ] as const) {
      console.log(
        `| ${name} | ${f.complete}/${TRANSFERS} | ${f.seconds.toFixed(2)} | ${f.files.toFixed(1)} | ${f.mb.toFixed(1)} |`,
      );
    }
    console.log(`siteboot / dnsmasq throughput: ${(s.mb / d.mb).toFixed(2)}× (goal ≥ 1.0×)`);
    const h = await httpRate(8080);
    console.log(
      `HTTP: ${HTTP_REQUESTS} requests of per-phone rendered files over ${HTTP_CONCURRENCY} keep-alive connections: ${h.perSecond.toFixed(0)} requests/s (${h.failed} failed)`,
    );
  } finally {
    await stopChild(dnsmasq);
    await stopChild(siteboot);
    rmSync(dir, { recursive: true, force: true });
  }
}

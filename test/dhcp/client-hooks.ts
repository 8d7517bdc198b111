/**
 * Pieces the real-client tests share: the hook script the clients run, reading what it wrote,
 * changing the client's MAC, and a tshark capture on the appliance's interface.
 */
import type { ChildProcess } from "node:child_process";
import { chmodSync } from "node:fs";
import type { NetnsLab } from "../helpers/netns.js";

export const HOOK = `#!/bin/sh
# Records what the client learned; configures the address so unicast renewals can leave.
out="$(dirname "$0")/$(basename "$0" .sh).out"
{ echo "reason=$reason$1"; env | sort; echo "--"; } >> "$out"
case "$reason$1" in
  BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface" ;;
  bound|renew) ip addr replace "$ip/24" dev "$interface" ;;
esac
exit 0
`;

/**
 * True once the hook has written a whole block for `reason`: the hook appends the reason, the
 * environment and "--" in several writes, and a block read halfway would lack its values.
 */
export function wroteBlock(reason: string): (text: string) => boolean {
  return (text) =>
    text
      .split("--\n")
      .slice(0, -1)
      .some((block) => block.startsWith(`reason=${reason}\n`));
}

/** Key=value lines of the last block whose reason is one of `reasons`. */
export function lastBlock(text: string, reasons: string[]): Map<string, string> {
  const blocks = text.split("--\n").map((block) => {
    const map = new Map<string, string>();
    for (const line of block.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return map;
  });
  return blocks.filter((b) => reasons.includes(b.get("reason") ?? "")).at(-1) ?? new Map();
}

export function setMac(net: NetnsLab, ns: string, ifname: string, mac: string): void {
  net.exec(ns, "ip", "link", "set", ifname, "down");
  net.exec(ns, "ip", "addr", "flush", "dev", ifname);
  net.exec(ns, "ip", "link", "set", ifname, "address", mac);
  net.exec(ns, "ip", "link", "set", ifname, "up");
}

/** tshark writing DHCP traffic on `ifname` in `ns` to `pcap`; resolves once it captures. */
export async function startCapture(
  net: NetnsLab,
  ns: string,
  ifname: string,
  pcap: string,
): Promise<ChildProcess> {
  const capture = net.spawn(ns, "tshark", [
    "-i",
    ifname,
    "-q",
    "-w",
    pcap,
    "-f",
    "udp port 67 or udp port 68",
  ]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("tshark did not start")), 20_000);
    capture.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      if (chunk.includes("Capturing on")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return capture;
}

/** Stops a capture and waits until tshark has written the file. */
export async function stopCapture(capture: ChildProcess): Promise<void> {
  capture.kill("SIGINT");
  await new Promise((resolve) => (capture.exitCode !== null ? resolve(null) : capture.once("exit", resolve)));
}

/** Writes the hook script as `<name>.sh` in the lab directory; it appends to `<name>.out`. */
export function writeHook(lab: { writeFile(name: string, text: string): string }, name: string): string {
  const path = lab.writeFile(`${name}.sh`, HOOK);
  chmodSync(path, 0o755);
  return path;
}

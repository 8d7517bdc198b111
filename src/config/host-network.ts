import { readdirSync, readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import ipaddr from "ipaddr.js";
import { parseIpv4 } from "./ipv4.js";

/** What this host offers to listen on: its network interfaces and the addresses a socket can bind. */
export interface HostNetwork {
  /** Every interface, whether up or down, with addresses or without. */
  readonly interfaces: readonly string[];
  /** IPv4 as a.b.c.d, or a.b.c.d/n for a whole local range (loopback's 127.0.0.0/8); IPv6 normalised. */
  readonly addresses: readonly string[];
  /** IPv6 addresses assigned but not yet usable: duplicate address detection has not finished. */
  readonly tentative?: readonly string[];
}

export interface HostFiles {
  file(path: string): string;
  dir(path: string): string[];
}

const PROC_AND_SYS: HostFiles = {
  file: (path) => readFileSync(path, "utf8"),
  dir: (path) => readdirSync(path),
};

/**
 * Reads this host's interfaces and local addresses, in the network namespace the process runs in.
 * os.networkInterfaces() is not enough: it lists only interfaces that are up, so a LAN port that
 * is down (or up without an address) would look absent, and so would an address on it, which a
 * socket can bind all the same. /proc/self/net is the process's own namespace: `dev` lists every
 * interface, `fib_trie` every local IPv4 address or range, `if_inet6` every IPv6 address with its
 * state. /sys/class/net is only the fallback for the names: it shows the namespace of whoever
 * mounted /sys, which after `unshare -n` is not this one.
 */
export function readHostNetwork(
  files: HostFiles = PROC_AND_SYS,
  up: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): HostNetwork {
  const attempt = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch {
      return fallback;
    }
  };
  const devices = attempt(
    () => devicesOf(files.file("/proc/self/net/dev")),
    attempt(() => files.dir("/sys/class/net"), []),
  );
  const ipv4 = attempt(() => localIpv4Of(files.file("/proc/self/net/fib_trie")), []);
  const ipv6 = attempt(() => ipv6Of(files.file("/proc/self/net/if_inet6")), { usable: [], tentative: [] });
  const addresses = [...ipv4, ...ipv6.usable];
  for (const list of Object.values(up)) {
    for (const a of list ?? []) addresses.push(a.family === "IPv6" ? normalIpv6(a.address) : a.address);
  }
  // Address labels such as eth0:1 appear only in os.networkInterfaces(); they are names too.
  const interfaces = [...new Set([...devices, ...Object.keys(up)])].sort();
  return {
    interfaces,
    addresses: [...new Set(addresses)],
    tentative: ipv6.tentative.filter((a) => !addresses.includes(a)),
  };
}

/** Interface names from /proc/net/dev: two header lines, then "  name: counters". */
export function devicesOf(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split("\n").slice(2)) {
    const name = /^\s*([^\s:]+):/.exec(line)?.[1];
    if (name !== undefined) names.push(name);
  }
  return names;
}

/**
 * Local IPv4 addresses from /proc/net/fib_trie: a leaf line "|-- a.b.c.d" followed by its prefix
 * lines; "/32 host LOCAL" is an address of this host, "/8 host LOCAL" (loopback) a local range.
 */
export function localIpv4Of(text: string): string[] {
  const out = new Set<string>();
  let leaf: string | undefined;
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("|-- ") && parseIpv4(trimmed.slice(4)) !== undefined) leaf = trimmed.slice(4);
    else if (trimmed.startsWith("|-- ") || trimmed.startsWith("+-- ")) leaf = undefined;
    const local = /^\/(\d+) host LOCAL$/.exec(trimmed);
    if (local && leaf !== undefined) out.add(local[1] === "32" ? leaf : `${leaf}/${local[1]}`);
  }
  return [...out];
}

const IFA_F_OPTIMISTIC = 0x04;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

/** IPv6 addresses from /proc/net/if_inet6: "address(32 hex) ifindex prefix scope flags name". */
export function ipv6Of(text: string): { usable: string[]; tentative: string[] } {
  const usable: string[] = [];
  const tentative: string[] = [];
  for (const line of text.split("\n")) {
    const [hex, , , , flagsHex] = line.trim().split(/\s+/);
    if (hex === undefined || !/^[0-9a-f]{32}$/i.test(hex)) continue;
    const address = normalIpv6(hex.replace(/(.{4})(?!$)/g, "$1:"));
    const flags = Number.parseInt(flagsHex ?? "0", 16);
    if (flags & IFA_F_DADFAILED) continue;
    // An optimistic address (RFC 4429) may be used while duplicate address detection runs.
    (flags & IFA_F_TENTATIVE && !(flags & IFA_F_OPTIMISTIC) ? tentative : usable).push(address);
  }
  return { usable, tentative };
}

export function normalIpv6(text: string): string {
  const address = text.split("%")[0] ?? text;
  return ipaddr.IPv6.isValid(address) ? ipaddr.IPv6.parse(address).toString() : address;
}

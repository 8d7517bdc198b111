import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Lease } from "../../src/dhcp/leases/lease.js";

/** 192.168.7.0 + n */
export const BASE = 0xc0a80700;

export function makeLease(n: number, overrides: Partial<Lease> = {}): Lease {
  const mac = `00:04:f2:00:${((n >> 8) & 255).toString(16).padStart(2, "0")}:${(n & 255).toString(16).padStart(2, "0")}`;
  return {
    address: BASE + n,
    clientKey: `hw:1:${mac.replaceAll(":", "")}`,
    mac,
    subnet: "192.168.7.0/24",
    state: "active",
    start: 1_700_000_000_000 + n,
    expiresAt: 1_700_028_800_000 + n,
    ...overrides,
  };
}

/** A fresh directory under the system temp dir; remove it with the returned function. */
export async function tempDir(
  prefix = "siteboot-leases-",
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function sortedLeases(leases: Iterable<Lease>): Lease[] {
  return [...leases].sort((a, b) => a.address - b.address);
}

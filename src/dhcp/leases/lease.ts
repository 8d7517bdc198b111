/**
 * A DHCPv4 lease as the lease store keeps it: one row per address, whatever its state. The store
 * never interprets times; the server decides what "expired" means and writes the new state.
 */

export type LeaseState = "active" | "released" | "expired" | "declined";

export const LEASE_STATES: readonly LeaseState[] = ["active", "released", "expired", "declined"];

export interface Lease {
  /** IPv4 as an unsigned 32-bit integer (see src/config/ipv4.ts). */
  readonly address: number;
  /**
   * The identity of the client: "id:<hex option 61>" or "hw:<htype>:<hex chaddr>", or for a client
   * that matched a reservation the reservation's key (see src/dhcp/client-identity.ts).
   */
  readonly clientKey: string;
  /** Lowercase colon form, for people and the timeline. */
  readonly mac: string;
  readonly hostname?: string;
  readonly vendorClass?: string;
  /** CIDR text of the subnet. */
  readonly subnet: string;
  readonly state: LeaseState;
  /** ms since epoch. */
  readonly start: number;
  /** ms since epoch (for declined: the end of the quarantine). */
  readonly expiresAt: number;
}

/** A lease while it is being built, before it is frozen. */
export type LeaseFields = { -readonly [K in keyof Lease]: Lease[K] };

export function isLeaseState(value: unknown): value is LeaseState {
  return value === "active" || value === "released" || value === "expired" || value === "declined";
}

/** Why a value is not a storable lease, or undefined when it is one. Cheap: called on every put. */
export function leaseProblem(lease: Lease): string | undefined {
  const { address, clientKey, mac, subnet, state, start, expiresAt, hostname, vendorClass } = lease;
  if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
    return `address must be an unsigned 32-bit integer, got ${String(address)}`;
  }
  if (typeof clientKey !== "string" || clientKey.length === 0) return "clientKey must be a non-empty string";
  if (typeof mac !== "string") return "mac must be a string";
  if (typeof subnet !== "string" || subnet.length === 0) return "subnet must be a non-empty string";
  if (!isLeaseState(state)) return `state must be one of ${LEASE_STATES.join(", ")}, got ${String(state)}`;
  if (!Number.isFinite(start)) return "start must be a finite number (ms since epoch)";
  if (!Number.isFinite(expiresAt)) return "expiresAt must be a finite number (ms since epoch)";
  if (hostname !== undefined && typeof hostname !== "string") return "hostname must be a string";
  if (vendorClass !== undefined && typeof vendorClass !== "string") return "vendorClass must be a string";
  return undefined;
}

/**
 * A frozen copy holding only the lease fields, so a caller mutating its object later (or passing
 * a richer object) cannot change what the store holds or writes.
 */
export function copyLease(lease: Lease): Lease {
  const copy: LeaseFields = {
    address: lease.address,
    clientKey: lease.clientKey,
    mac: lease.mac,
    subnet: lease.subnet,
    state: lease.state,
    start: lease.start,
    expiresAt: lease.expiresAt,
  };
  if (lease.hostname !== undefined) copy.hostname = lease.hostname;
  if (lease.vendorClass !== undefined) copy.vendorClass = lease.vendorClass;
  return Object.freeze(copy);
}

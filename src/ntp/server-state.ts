/**
 * What the server says about its own clock in every reply (RFC 5905 "system variables"): leap,
 * stratum, reference ID, reference time, root delay and root dispersion, derived from the site's
 * stratum mode and the host clock's synchronisation state — never claiming more than the host has.
 */
import type { NtpStratumMode } from "../config/site.js";
import type { HostSyncState } from "./host-sync.js";
import type { LeapIndicator } from "./packet.js";
import type { Instant } from "./timestamp.js";

export interface ServerState {
  readonly leap: LeapIndicator;
  /** Logical stratum: 1–15, or 16 when unsynchronised (sent as 0 on the wire, as chronyd and ntpd do). */
  readonly stratum: number;
  readonly referenceId: number;
  /** Absent: the zero timestamp (never set). */
  readonly referenceTime?: Instant;
  /** Seconds. */
  readonly rootDelay: number;
  /** Seconds. */
  readonly rootDispersion: number;
}

/** RFC 5905 PHI: the frequency tolerance by which dispersion grows, 15 ppm. */
export const PHI = 15e-6;
/** How often a `local` server's reference time moves forward. */
export const LOCAL_REFERENCE_PERIOD_S = 16;

/** chronyd's reply when its clock is not synchronised: leap 3, stratum 0 on the wire, refid 0, 1 s / 1 s. */
export const UNSYNCHRONISED: ServerState = {
  leap: 3,
  stratum: 16,
  referenceId: 0,
  rootDelay: 1,
  rootDispersion: 1,
};

export function serverState(
  mode: NtpStratumMode,
  referenceId: number,
  host: HostSyncState,
  now: Instant,
  precision: number,
): ServerState {
  if (mode.mode === "local") {
    return {
      leap: 0,
      stratum: mode.stratum,
      referenceId,
      // Moves forward every 16 s and is never in the future, like a local reference being "updated".
      referenceTime: {
        sec:
          now.sec -
          (((now.sec % LOCAL_REFERENCE_PERIOD_S) + LOCAL_REFERENCE_PERIOD_S) % LOCAL_REFERENCE_PERIOD_S),
        nsec: 0,
      },
      rootDelay: 0,
      rootDispersion: 2 ** precision,
    };
  }
  if (!host.synchronised) return UNSYNCHRONISED;
  const sinceRead = Math.max(0, now.sec * 1000 + now.nsec / 1e6 - host.readAtMs) / 1000;
  const base = {
    leap: host.leap,
    rootDelay: host.rootDelay,
    rootDispersion: host.rootDispersion + PHI * sinceRead + 2 ** precision,
    ...(host.referenceTime ? { referenceTime: host.referenceTime } : {}),
  };
  return mode.mode === "fixed"
    ? { ...base, stratum: mode.stratum, referenceId }
    : { ...base, stratum: host.stratum, referenceId: host.referenceId };
}

/**
 * What an NTP benchmark run may conclude. A comparison with the reference (chronyd) means something
 * only if the reference answered and the load generator found the reference's limit; otherwise the
 * run is invalid and says why, and no ratio is printed.
 */

/** Counts from one ntp-load run (test/bench/ntp-load.c). */
export interface LoadResult {
  readonly sent: number;
  /** Valid replies: mode 4, not a KoD, origin = a transmit timestamp sent, first reply to it. */
  readonly received: number;
  /** Replies that were not NTP server replies to what was sent. */
  readonly invalid: number;
  readonly duplicate: number;
  /** Kiss-o'-death replies (stratum 0): answered, but not served. */
  readonly kod: number;
  /** Socket errors other than a full queue (e.g. ECONNREFUSED: nothing listens). */
  readonly errors: number;
  readonly seconds: number;
  /** The generator's own CPU time (all threads), ms. */
  readonly cpuMs: number;
}

/** A step is answered with less than this share lost. */
export const MAX_LOSS = 0.02;
/** The generator must send this share of the offered requests for a step to say anything. */
const MIN_OFFERED = 0.95;

export type StepOutcome = "pass" | "fail" | "generator-short";

/** pass: answered with < 2 % loss; fail: the server lost more; generator-short: not offered. */
export function classifyStep(offered: number, r: LoadResult): StepOutcome {
  if (r.sent < offered * r.seconds * MIN_OFFERED) return "generator-short";
  return r.received >= r.sent * (1 - MAX_LOSS) && r.invalid === 0 && r.errors === 0 ? "pass" : "fail";
}

export interface Capacity {
  /** Replies/s in the highest step answered with < 2 % loss; 0 if none was. */
  readonly rate: number;
  /** server: a higher step failed; generator: the generator could offer no higher step that did. */
  readonly bound: "server" | "generator";
}

/**
 * The highest rate answered, from steps in increasing offered rate. The search stops after two
 * failed steps in a row or when the generator falls short (later steps are then not considered).
 */
export function capacity(steps: readonly { offered: number; result: LoadResult }[]): Capacity {
  let rate = 0;
  let failures = 0;
  for (const { offered, result } of steps) {
    const outcome = classifyStep(offered, result);
    // A step above the best one failed already: that was the server's limit, whatever comes next.
    if (outcome === "generator-short") return { rate, bound: failures > 0 ? "server" : "generator" };
    if (outcome === "pass") {
      rate = result.received / result.seconds;
      failures = 0;
    } else if (++failures >= 2) return { rate, bound: "server" };
  }
  return { rate, bound: failures > 0 ? "server" : "generator" };
}

/** True once the search in `capacity` would stop after these steps. */
export function searchDone(steps: readonly { offered: number; result: LoadResult }[]): boolean {
  const outcomes = steps.map((s) => classifyStep(s.offered, s.result));
  const last = outcomes.slice(-2);
  return outcomes.at(-1) === "generator-short" || (last.length === 2 && last.every((o) => o === "fail"));
}

export interface ServerRun {
  /** The run at the fixed offered rate. */
  readonly fixed: LoadResult;
  readonly capacity: Capacity;
  /** Why the server or its measurement failed outright (it exited, the generator failed). */
  readonly error?: string;
}

export type Verdict =
  | { readonly valid: false; readonly reasons: readonly string[] }
  | {
      readonly valid: true;
      /** candidate's capacity ÷ the reference's. */
      readonly ratio: number;
      /** The candidate was limited by the generator, not by itself: the true ratio is higher. */
      readonly lowerBound: boolean;
    };

/** Judges a run of `candidate` against `reference` at `fixedRate` offered. */
export function verdict(candidate: ServerRun, reference: ServerRun, fixedRate: number): Verdict {
  const reasons: string[] = [];
  const ref = reference.fixed;
  if (reference.error) reasons.push(`the reference failed: ${reference.error}`);
  if (ref.sent === 0 || ref.received < ref.sent * (1 - MAX_LOSS))
    reasons.push(
      `the reference answered ${ref.received} of ${ref.sent} requests at ${fixedRate}/s offered (a working reference loses < ${MAX_LOSS * 100} %)`,
    );
  if (ref.invalid > 0 || ref.errors > 0)
    reasons.push(`the reference gave ${ref.invalid} invalid replies and ${ref.errors} socket errors`);
  if (reference.capacity.rate === 0)
    reasons.push("the reference answered no step of the rate search with < 2 % loss");
  else if (reference.capacity.rate < fixedRate * 0.9)
    reasons.push(
      `the reference's maximum (${Math.round(reference.capacity.rate)}/s) is implausibly below the ${fixedRate}/s it served`,
    );
  if (reference.capacity.bound === "generator")
    reasons.push(
      "the load generator could offer no rate the reference failed at: the ratio would measure the generator",
    );
  if (reasons.length > 0) return { valid: false, reasons };
  return {
    valid: true,
    ratio: candidate.capacity.rate / reference.capacity.rate,
    lowerBound: candidate.capacity.bound === "generator",
  };
}

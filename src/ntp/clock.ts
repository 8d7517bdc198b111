/**
 * Wall-clock time with sub-millisecond resolution. `Date.now()` has 1 ms steps, so the host clock
 * is read as a monotonic `process.hrtime` offset from an anchor: the hrtime at which the wall clock
 * was at a known instant. The anchor is found by watching `Date.now()` tick over to the next
 * millisecond (the wall clock is then within a loop iteration of that whole millisecond). The
 * system clock can be stepped (by an operator, chrony's makestep, a VM resume) while the monotonic
 * clock is not, so every reading compares the estimate with `Date.now()` and re-anchors when they
 * disagree by more than a couple of milliseconds; a periodic precise re-anchor keeps them aligned.
 */
import { addNanos, type Instant } from "./timestamp.js";

export interface Clock {
  /** The current wall-clock time. */
  now(): Instant;
  /** log2 seconds of the clock's reading resolution (the NTP precision field). */
  readonly precision: number;
  /** Starts background upkeep (periodic re-anchoring), if any. */
  start?(): void;
  stop?(): void;
}

export interface HostClockOptions {
  /** Monotonic nanoseconds (default `process.hrtime.bigint`). */
  readonly hrtime?: () => bigint;
  /** Wall-clock milliseconds, floored (default `Date.now`). */
  readonly wallMs?: () => number;
  /** Precise re-anchor period in ms (default 60 s). */
  readonly reanchorEveryMs?: number;
  /** Step detection threshold in ms (default 2). */
  readonly stepThresholdMs?: number;
}

/** How long one tick-over wait may spin, in monotonic ns (a ms tick plus margin). */
const SPIN_LIMIT_NS = 3_000_000n;

export class HostClock implements Clock {
  readonly #hrtime: () => bigint;
  readonly #wallMs: () => number;
  readonly #reanchorEveryMs: number;
  readonly #stepThresholdMs: number;
  #anchorHr = 0n;
  #anchorSec = 0;
  #anchorNs = 0;
  #timer: NodeJS.Timeout | undefined;
  #preciseScheduled: NodeJS.Timeout | undefined;
  /** Re-anchors so far (steps detected plus periodic), for tests and diagnostics. */
  reanchors = 0;
  readonly precision: number;

  constructor(options: HostClockOptions = {}) {
    this.#hrtime = options.hrtime ?? process.hrtime.bigint;
    this.#wallMs = options.wallMs ?? Date.now;
    this.#reanchorEveryMs = options.reanchorEveryMs ?? 60_000;
    this.#stepThresholdMs = options.stepThresholdMs ?? 2;
    this.anchorPrecisely();
    this.precision = measurePrecision(this);
  }

  now(): Instant {
    const hr = this.#hrtime();
    const elapsed = Number(hr - this.#anchorHr);
    const total = this.#anchorNs + elapsed;
    // The estimate must floor to what Date.now() says; a larger gap means the system clock stepped.
    const estimateMs = this.#anchorSec * 1000 + total / 1e6;
    const wall = this.#wallMs();
    const drift = wall - estimateMs;
    if (drift > this.#stepThresholdMs - 0.5 || drift < -this.#stepThresholdMs - 0.5) {
      return this.#stepped(hr, wall);
    }
    const carry = Math.floor(total / 1e9);
    return { sec: this.#anchorSec + carry, nsec: total - carry * 1e9 };
  }

  /** Finds the hrtime at which Date.now() ticks to a new millisecond; best of three. */
  anchorPrecisely(): void {
    let best: { hr: bigint; ms: number; bracket: bigint } | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = this.#waitForTick();
      if (found && (!best || found.bracket < best.bracket)) best = found;
    }
    if (best) this.#setAnchor(best.hr, best.ms, 0);
    else {
      // The wall clock never ticked within the limit (frozen clock in a test): mid-millisecond guess.
      const hr = this.#hrtime();
      this.#setAnchor(hr, this.#wallMs(), 500_000);
    }
    this.reanchors++;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.anchorPrecisely(), this.#reanchorEveryMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#preciseScheduled);
    this.#timer = undefined;
    this.#preciseScheduled = undefined;
  }

  #stepped(hr: bigint, wall: number): Instant {
    // Cheap anchor now (±0.5 ms), a precise one off the request path right after.
    this.#setAnchor(hr, wall, 500_000);
    this.reanchors++;
    if (!this.#preciseScheduled) {
      this.#preciseScheduled = setTimeout(() => {
        this.#preciseScheduled = undefined;
        this.anchorPrecisely();
      }, 0);
      this.#preciseScheduled.unref();
    }
    return addNanos({ sec: this.#anchorSec, nsec: 0 }, this.#anchorNs);
  }

  #setAnchor(hr: bigint, wallMs: number, extraNs: number): void {
    const sec = Math.floor(wallMs / 1000);
    this.#anchorHr = hr;
    this.#anchorSec = sec;
    this.#anchorNs = Math.round((wallMs - sec * 1000) * 1e6) + extraNs;
  }

  #waitForTick(): { hr: bigint; ms: number; bracket: bigint } | undefined {
    const start = this.#hrtime();
    const first = this.#wallMs();
    let before = start;
    for (;;) {
      const ms = this.#wallMs();
      const hr = this.#hrtime();
      if (ms !== first) return { hr, ms, bracket: hr - before };
      if (hr - start > SPIN_LIMIT_NS) return undefined;
      before = hr;
    }
  }
}

/**
 * Precision as chrony measures it: the smallest positive difference between successive clock
 * readings, as log2 seconds rounded up. Bounded to 2,000 readings.
 */
export function measurePrecision(clock: Pick<Clock, "now">): number {
  let min = Number.POSITIVE_INFINITY;
  let previous = clock.now();
  for (let i = 0; i < 2000; i++) {
    const t = clock.now();
    const d = (t.sec - previous.sec) * 1e9 + (t.nsec - previous.nsec);
    if (d > 0 && d < min) min = d;
    previous = t;
  }
  if (!Number.isFinite(min)) return -6;
  return Math.max(-30, Math.min(-6, Math.ceil(Math.log2(min / 1e9))));
}

/** A clock tests drive by hand. */
export class FakeClock implements Clock {
  #now: Instant;
  readonly precision: number;

  constructor(start: Instant = { sec: 1_700_000_000, nsec: 0 }, precision = -20) {
    this.#now = start;
    this.precision = precision;
  }

  now(): Instant {
    return this.#now;
  }

  set(t: Instant): void {
    this.#now = t;
  }

  advanceNanos(nanos: number): void {
    this.#now = addNanos(this.#now, nanos);
  }

  advanceMs(ms: number): void {
    this.advanceNanos(Math.round(ms * 1e6));
  }
}

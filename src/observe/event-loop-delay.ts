import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { Gauge, Registry } from "prom-client";

/** The monitor samples every 10 ms (prom-client's default precision). */
const RESOLUTION_MS = 10;
/**
 * A scrape waits at most this many resolutions for the monitor's first sample since the previous
 * scrape. Counted in turns of the event loop, not wall time: the monitor's timer fires in those
 * turns however late a busy machine runs them.
 */
const SAMPLE_WAITS = 25;

const STATISTICS = [
  ["min", "The minimum recorded event loop delay."],
  ["max", "The maximum recorded event loop delay."],
  ["mean", "The mean of the recorded event loop delays."],
  ["stddev", "The standard deviation of the recorded event loop delays."],
  ["p50", "The 50th percentile of the recorded event loop delays."],
  ["p90", "The 90th percentile of the recorded event loop delays."],
  ["p99", "The 99th percentile of the recorded event loop delays."],
] as const;

type Statistic = (typeof STATISTICS)[number][0];

/**
 * The event-loop delay statistics since the previous scrape, under prom-client's names
 * (`…nodejs_eventloop_lag_min_seconds`, `_mean_`, `_p99_`…). prom-client's own gauges read a
 * histogram it resets at every scrape and cannot tell empty: a scrape with no sample since (the
 * first one, which starts its monitor, or two close together) shows min 9223372036.85 s, mean
 * NaN and zeros. These replace them: a scrape first waits (briefly, bounded) for a sample.
 * prom-client's `…nodejs_eventloop_lag_seconds` stays as it is; its monitor keeps running (its
 * collector offers no way to leave it out), so the process has two 10 ms timers, not one.
 */
export class EventLoopDelay {
  readonly #histogram: IntervalHistogram;

  constructor(registry: Registry, prefix: string, prom: typeof import("prom-client")) {
    const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
    this.#histogram = histogram;
    const gauges = new Map<Statistic, Gauge>();
    for (const [statistic, help] of STATISTICS) {
      const name = `${prefix}nodejs_eventloop_lag_${statistic}_seconds`;
      registry.removeSingleMetric(name);
      gauges.set(
        statistic,
        new prom.Gauge({
          name,
          help,
          registers: [registry],
          // The first gauge reads every statistic at once, then starts the next interval.
          ...(statistic === "min" ? { collect: () => this.#collect(gauges) } : {}),
        }),
      );
    }
  }

  /** Resolves once the monitor holds a sample (or after a bounded wait): call before a scrape. */
  async sampled(): Promise<void> {
    for (let waits = 0; this.#histogram.count === 0 && waits < SAMPLE_WAITS; waits++) {
      await new Promise((resolve) => setTimeout(resolve, RESOLUTION_MS));
    }
  }

  #collect(gauges: ReadonlyMap<Statistic, Gauge>): void {
    const h = this.#histogram;
    // Still empty after the wait (a starved event loop): the previous interval's values stay.
    if (h.count === 0) return;
    const values: Record<Statistic, number> = {
      min: h.min,
      max: h.max,
      mean: h.mean,
      stddev: h.stddev,
      p50: h.percentile(50),
      p90: h.percentile(90),
      p99: h.percentile(99),
    };
    for (const [statistic, gauge] of gauges) gauge.set(values[statistic] / 1e9);
    h.reset();
  }
}

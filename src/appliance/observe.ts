import type { Logger } from "pino";
import type { LogLevel, Site } from "../config/site.js";
import { ControlServer, type ControlSource } from "../observe/control-server.js";
import { eventLogger } from "../observe/event-log.js";
import { EventBus } from "../observe/events.js";
import { Metrics, type PoolUsage } from "../observe/metrics.js";
import { EventStream } from "../observe/status-page/event-stream.js";
import { type StatusPageSource, serveStatusPage } from "../observe/status-page/routes.js";
import { DEFAULT_TIMELINE_LIMITS, Timeline } from "../observe/timeline.js";

/** The one event stream and what subscribes to it. */
export interface Observers {
  readonly events: EventBus;
  /** Per-client history. */
  readonly timeline: Timeline;
  readonly metrics: Metrics;
  /** Live updates of the status page. */
  readonly stream: EventStream;
}

/** What the observers read from the appliance when they need it. */
export interface ObservedState {
  /** The MAC holding an address by an active lease, for the timeline of DNS and NTP clients. */
  activeMac(address: string): string | undefined;
  poolUsage(): readonly PoolUsage[];
  /** The level routine events are logged at. */
  eventLevel(): LogLevel;
}

/** Makes the event stream and subscribes, in this order, the timeline, metrics, status page and log. */
export function observeEvents(log: Logger, state: ObservedState): Observers {
  const events = new EventBus();
  const timeline = new Timeline(DEFAULT_TIMELINE_LIMITS, (address) => state.activeMac(address));
  const metrics = new Metrics(() => state.poolUsage());
  const stream = new EventStream();
  events.subscribe((e) => timeline.record(e));
  events.subscribe((e) => metrics.record(e));
  events.subscribe((e) => stream.record(e));
  events.subscribe(eventLogger(log, () => state.eventLevel()));
  return { events, timeline, metrics, stream };
}

/** The control endpoint, with the status page and its live updates on the same port. */
export function controlEndpoint(
  site: Site,
  source: ControlSource & StatusPageSource,
  stream: EventStream,
): ControlServer {
  return new ControlServer(site, source, (req, res, path) => serveStatusPage(req, res, path, source, stream));
}

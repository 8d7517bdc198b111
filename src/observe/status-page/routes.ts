/**
 * The status page on the control endpoint: `/` (the page), `/ui/app.js` and `/ui/style.css` (its
 * script and style, separate so the Content-Security-Policy allows no inline script or style),
 * `/ui/state` (everything the page shows, one JSON document) and `/events` (live updates). No
 * build step: the three assets are strings in this program. Read-only like the rest of the
 * endpoint; every value from the network reaches the page as JSON and is set as text there.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PoolUsage } from "../metrics.js";
import type { Timeline } from "../timeline.js";
import type { EventStream } from "./event-stream.js";
import { PAGE_HTML, PAGE_STYLE } from "./page.js";
import { PAGE_SCRIPT } from "./script.js";

/** One reload as the page lists it: diagnostics as FILE:LINE:COL lines. */
export interface ReloadResult {
  readonly at: number;
  readonly ok: boolean;
  readonly reason?: string;
  readonly errors?: readonly string[];
}

/** A lease host name served in DNS. */
export interface ServedName {
  readonly name: string;
  readonly address: string;
  readonly mac: string;
}

/** What the page shows; the appliance provides it. */
export interface StatusPageSource {
  healthy(): boolean;
  status(): unknown;
  leases(): unknown[];
  pools(): readonly PoolUsage[];
  servedNames(): readonly ServedName[];
  reloadHistory(): readonly ReloadResult[];
  readonly timeline: Timeline;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
} as const;

/** Answers the page's paths; false for any other path. */
export function serveStatusPage(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  source: StatusPageSource,
  stream: EventStream,
): boolean {
  switch (path) {
    case "/":
    case "/ui":
    case "/ui/":
      return asset(res, "text/html; charset=utf-8", PAGE_HTML);
    case "/ui/app.js":
      return asset(res, "text/javascript; charset=utf-8", PAGE_SCRIPT);
    case "/ui/style.css":
      return asset(res, "text/css; charset=utf-8", PAGE_STYLE);
    case "/ui/state":
      return asset(res, "application/json; charset=utf-8", JSON.stringify(pageState(source)));
    case "/events":
      stream.open(req, res);
      return true;
    default:
      return false;
  }
}

function asset(res: ServerResponse, type: string, body: string): boolean {
  res.writeHead(200, { "content-type": type, ...SECURITY_HEADERS });
  res.end(body);
  return true;
}

/** Everything the page shows at once. */
export function pageState(source: StatusPageSource): unknown {
  return {
    healthy: source.healthy(),
    status: source.status(),
    pools: source.pools(),
    leases: source.leases(),
    names: source.servedNames(),
    clients: source.timeline.clients(),
    reloads: source.reloadHistory(),
  };
}

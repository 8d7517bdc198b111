import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Site } from "../config/site.js";
import { percentDecoded, requestTarget } from "../net/request-target.js";
import type { Service } from "../service.js";
import { authorize } from "./control-auth.js";
import type { Metrics } from "./metrics.js";
import type { ClientSummary, Timeline, TimelineEntry } from "./timeline.js";

/** What the control endpoint shows; the appliance provides it. */
export interface ControlSource {
  healthy(): boolean;
  status(): unknown;
  leases(): unknown[];
  readonly timeline: Timeline;
  readonly metrics: Metrics;
}

/** More paths served by the endpoint (the status page); true when the path was answered. */
export type ControlRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/**
 * The local control endpoint (HTTP on loopback by default): /healthz, /status, /leases, /clients,
 * /clients/:mac/timeline and /metrics. Read-only: nothing here changes the appliance.
 */
export class ControlServer implements Service {
  readonly name = "control" as const;
  #site: Site;
  readonly #source: ControlSource;
  readonly #routes: ControlRoutes | undefined;
  #server: Server | undefined;

  constructor(site: Site, source: ControlSource, routes?: ControlRoutes) {
    this.#site = site;
    this.#source = source;
    this.#routes = routes;
  }

  address(): AddressInfo | undefined {
    const a = this.#server?.address();
    return a && typeof a === "object" ? a : undefined;
  }

  async start(): Promise<void> {
    const { address, port } = this.#site.control;
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
    });
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(bindError("control endpoint", address, port, error)),
      );
      server.listen(port, address, () => resolve());
    });
    this.#server = server;
  }

  async reload(site: Site): Promise<void> {
    const before = this.#site.control;
    this.#site = site;
    if (before.address !== site.control.address || before.port !== site.control.port) {
      await this.stop();
      await this.start();
    }
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorize(req, res, this.#site.control.token)) return;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return send(res, 405, { error: "read-only endpoint: use GET" });
    }
    const path = requestTarget(req.url ?? "/")?.pathname;
    if (path === undefined) return send(res, 400, { error: "malformed request target" });
    if (path === "/healthz") {
      const ok = this.#source.healthy();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      res.end(ok ? "ok\n" : "unhealthy\n");
      return;
    }
    if (path === "/status") return send(res, 200, this.#source.status());
    if (path === "/leases") return send(res, 200, this.#source.leases());
    if (path === "/clients") return send(res, 200, this.#source.timeline.clients().map(clientJson));
    const timeline = /^\/clients\/([^/]+)\/timeline$/.exec(path);
    if (timeline) {
      const client = percentDecoded(timeline[1] ?? "");
      if (client === undefined) return send(res, 400, { error: "malformed percent-encoding" });
      const entries = this.#source.timeline.entries(client);
      return entries ? send(res, 200, entries.map(entryJson)) : send(res, 404, { error: "no such client" });
    }
    if (this.#routes?.(req, res, path)) return;
    if (path === "/metrics") {
      const text = await this.#source.metrics.text();
      res.writeHead(200, { "content-type": this.#source.metrics.contentType });
      res.end(text);
      return;
    }
    send(res, 404, {
      error: "not found",
      paths: ["/healthz", "/status", "/leases", "/clients", "/clients/:mac/timeline", "/metrics"],
    });
  }
}

/** Times go out as ISO 8601, as in /leases and /status. */
const iso = (ms: number) => new Date(ms).toISOString();

function clientJson(client: ClientSummary) {
  return { ...client, firstSeen: iso(client.firstSeen), lastSeen: iso(client.lastSeen) };
}

function entryJson(entry: TimelineEntry) {
  const expiresAt = entry.detail.expiresAt;
  return {
    ...entry,
    at: iso(entry.at),
    detail: typeof expiresAt === "number" ? { ...entry.detail, expiresAt: iso(expiresAt) } : entry.detail,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

/** One clear message for a socket that cannot be bound. */
export function bindError(what: string, address: string, port: number, error: NodeJS.ErrnoException): Error {
  const reasons: Record<string, string> = {
    EADDRINUSE: "the port is already in use by another program",
    EACCES: "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
    EADDRNOTAVAIL: "this machine has no such address",
  };
  const why = reasons[error.code ?? ""] ?? error.message;
  return new Error(`${what}: cannot listen on ${address}:${port}: ${why}`, { cause: error });
}

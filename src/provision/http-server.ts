import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import http, { type IncomingMessage, type Server, type ServerResponse } from "node:http";
import https from "node:https";
import { extname } from "node:path";
import { percentDecoded, requestTarget } from "../net/request-target.js";
import { bindError } from "../observe/control-server.js";
import type { Catalog, Lookup } from "./catalog.js";
import type { FetchOutcome } from "./fetch-event.js";
import { parseRange } from "./http-range.js";
import { parseMac } from "./mac-forms.js";

/**
 * The read-only HTTP (and HTTPS) provisioning server: GET and HEAD, one byte range, ETag with
 * If-None-Match, Last-Modified with If-Modified-Since for files on disk. Rendered per-phone files
 * carry an ETag of their content and `Cache-Control: no-cache`, since they change with the
 * reservation and lease as well as with the template. Folders are listed only when configured.
 */

export interface HttpServerOptions {
  readonly catalog: () => Catalog;
  readonly onFetch: (outcome: FetchOutcome) => void;
  readonly onError: (error: Error) => void;
}

const TYPES: Record<string, string> = {
  ".cfg": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".conf": "text/plain; charset=utf-8",
  ".ini": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".json": "application/json",
  ".html": "text/html; charset=utf-8",
};

export class ProvisioningHttpServer {
  readonly #options: HttpServerOptions;
  readonly #servers: { server: Server; protocol: "http" | "https" }[] = [];

  constructor(options: HttpServerOptions) {
    this.#options = options;
  }

  async listen(
    addresses: readonly string[],
    port: number,
    tls?: { readonly port: number; readonly cert: Buffer; readonly key: Buffer },
  ): Promise<void> {
    for (const address of addresses) {
      await this.#open(http.createServer(), "http", address, port);
      if (tls)
        await this.#open(https.createServer({ cert: tls.cert, key: tls.key }), "https", address, tls.port);
    }
  }

  /** Ports bound, by protocol (tests bind port 0). */
  ports(): { http?: number; https?: number } {
    const port = (p: "http" | "https") => {
      const a = this.#servers.find((s) => s.protocol === p)?.server.address();
      return a && typeof a === "object" ? a.port : undefined;
    };
    return { http: port("http"), https: port("https") };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.splice(0).map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  async #open(server: Server, protocol: "http" | "https", address: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) =>
        reject(bindError(protocol.toUpperCase(), address, port, error as NodeJS.ErrnoException)),
      );
      server.listen(port, address, () => {
        server.removeAllListeners("error");
        server.on("error", (error) => this.#options.onError(error));
        resolve();
      });
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res, protocol).catch((error: Error) => {
        this.#options.onError(error);
        if (!res.headersSent) plain(res, 500, "internal error\n");
        else res.destroy();
      });
    });
    this.#servers.push({ server, protocol });
  }

  async #handle(req: IncomingMessage, res: ServerResponse, protocol: "http" | "https"): Promise<void> {
    const client = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const url = requestTarget(req.url ?? "/");
    if (!url) {
      plain(res, 400, "malformed request target\n");
      this.#options.onFetch({ protocol, client, file: req.url ?? "", bytes: 0, result: "refused" });
      return;
    }
    const name = decodePath(url.pathname);
    const report = (result: FetchOutcome["result"], bytes: number, extra: Partial<FetchOutcome> = {}) =>
      this.#options.onFetch({ protocol, client, file: url.pathname, bytes, result, ...extra });
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      plain(res, 405, "read-only: GET and HEAD only\n");
      report("refused", 0, { detail: `method ${req.method}` });
      return;
    }
    const macText = url.searchParams.get("mac") ?? url.searchParams.get("id");
    const mac = macText === null ? undefined : parseMac(macText);
    if (macText !== null && mac === undefined) {
      plain(res, 400, "the mac or id parameter is not a MAC address\n");
      report("refused", 0, { detail: `bad MAC ${macText}` });
      return;
    }
    // A path that does not decode is as malformed as one with a NUL.
    const found: Lookup =
      name === undefined
        ? { kind: "refused", reason: "bad-name", message: "malformed percent-encoding" }
        : await this.#options.catalog().lookup(name, { client, ...(mac ? { mac } : {}) });
    const head = req.method === "HEAD";
    switch (found.kind) {
      case "refused":
        plain(res, found.reason === "bad-name" ? 400 : 403, `${found.message}\n`);
        report("refused", 0, { detail: found.message });
        return;
      case "not-found":
        plain(res, 404, "not found\n");
        report("not-found", 0, { detail: found.message });
        return;
      case "directory":
        if (!this.#options.catalog().provisioning.http.listing) {
          plain(res, 404, "not found\n");
          report("not-found", 0, { detail: "a folder (listing is off)" });
          return;
        }
        await listing(res, found.path, url.pathname, head);
        report("complete", 0);
        return;
      case "rendered": {
        const etag = `"${createHash("sha1").update(found.bytes).digest("base64url").slice(0, 22)}"`;
        const extra = { mac: found.mac, template: found.template };
        res.setHeader("cache-control", "no-cache");
        const sent = sendBody(
          req,
          res,
          found.bytes.length,
          etag,
          undefined,
          typeOf(url.pathname),
          head,
          (start, end) => res.end(found.bytes.subarray(start, end + 1)),
        );
        report(resultOf(sent.status), sent.bytes, extra);
        return;
      }
      case "file": {
        const etag = `"${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}"`;
        const sent = sendBody(
          req,
          res,
          found.size,
          etag,
          found.mtimeMs,
          typeOf(url.pathname),
          head,
          (start, end) => {
            const stream = createReadStream(found.path, { start, end });
            stream.on("error", () => res.destroy());
            stream.pipe(res);
          },
        );
        report(resultOf(sent.status), sent.bytes, mac ? { mac } : {});
        return;
      }
    }
  }
}

/**
 * Conditional and range handling shared by files and rendered files. `write` sends bytes
 * start..end inclusive (and ends the response); it is not called for HEAD, 304 or 416.
 */
function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  size: number,
  etag: string,
  mtimeMs: number | undefined,
  type: string,
  head: boolean,
  write: (start: number, end: number) => void,
): { status: number; bytes: number } {
  res.setHeader("etag", etag);
  res.setHeader("accept-ranges", "bytes");
  const lastModified = mtimeMs === undefined ? undefined : new Date(Math.floor(mtimeMs / 1000) * 1000);
  if (lastModified) res.setHeader("last-modified", lastModified.toUTCString());
  if (notModified(req, etag, lastModified)) {
    res.statusCode = 304;
    res.end();
    return { status: 304, bytes: 0 };
  }
  res.setHeader("content-type", type);
  const ifRange = req.headers["if-range"];
  const range =
    ifRange === undefined || ifRange === etag
      ? parseRange(req.headers.range, size)
      : { kind: "whole" as const };
  if (range.kind === "unsatisfiable") {
    res.setHeader("content-range", `bytes */${size}`);
    plain(res, 416, "range not satisfiable\n");
    return { status: 416, bytes: 0 };
  }
  const [start, end] = range.kind === "part" ? [range.start, range.end] : [0, size - 1];
  res.statusCode = range.kind === "part" ? 206 : 200;
  if (range.kind === "part") res.setHeader("content-range", `bytes ${start}-${end}/${size}`);
  const length = size === 0 ? 0 : end - start + 1;
  res.setHeader("content-length", length);
  if (head || length === 0) {
    res.end();
    return { status: res.statusCode, bytes: 0 };
  }
  write(start, end);
  return { status: res.statusCode, bytes: length };
}

/** RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since. */
function notModified(req: IncomingMessage, etag: string, lastModified: Date | undefined): boolean {
  const inm = req.headers["if-none-match"];
  if (inm !== undefined) {
    return inm.trim() === "*" || inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
  }
  const ims = req.headers["if-modified-since"];
  if (ims === undefined || !lastModified) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && lastModified.getTime() <= since;
}

async function listing(res: ServerResponse, path: string, urlPath: string, head: boolean): Promise<void> {
  const entries = await readdir(path, { withFileTypes: true });
  const base = urlPath.endsWith("/") ? urlPath : `${urlPath}/`;
  const lines = entries
    .map((e) => `${e.name}${e.isDirectory() ? "/" : ""}`)
    .sort()
    .map((n) => `<li><a href="${encodeURI(base + n)}">${escapeHtml(n)}</a></li>`);
  const body = `<!doctype html><title>${escapeHtml(urlPath)}</title><ul>\n${lines.join("\n")}\n</ul>\n`;
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(head ? undefined : body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The request path relative to the root, decoded; undefined when its percent-encoding is broken. */
function decodePath(pathname: string): string | undefined {
  return percentDecoded(pathname)?.replace(/^\/+/, "");
}

function resultOf(status: number): FetchOutcome["result"] {
  return status === 304 ? "not-modified" : status === 416 ? "refused" : "complete";
}

function typeOf(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

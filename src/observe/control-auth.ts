/**
 * Access to the control endpoint when it carries `control.token`: every request shows the token,
 * as `Authorization: Bearer <token>` (scripts, Prometheus) or as the password of basic auth (a
 * browser, which then sends it with the page's scripts and its event stream too). The comparison
 * takes the same time whatever the guess.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";

/**
 * True when the request may go on; otherwise a 401 (or 403) has been sent. Without a token the
 * endpoint is on loopback, where a web page could still reach it by DNS rebinding (a name of the
 * attacker's that resolves to 127.0.0.1): such a request names the host, so only requests that
 * name an address or localhost are answered.
 */
export function authorize(req: IncomingMessage, res: ServerResponse, token: string | undefined): boolean {
  if (token === undefined) {
    if (addressedByIp(req.headers.host)) return true;
    res.writeHead(403, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end("use the endpoint's address (or localhost) in the URL, or set control.token\n");
    return false;
  }
  if (presented(req.headers.authorization, token)) return true;
  res.writeHead(401, {
    "content-type": "text/plain; charset=utf-8",
    "www-authenticate": 'Basic realm="siteboot", charset="UTF-8"',
    "cache-control": "no-store",
  });
  res.end("this control endpoint needs control.token (Bearer, or the password of basic auth)\n");
  return false;
}

function addressedByIp(host: string | undefined): boolean {
  if (host === undefined) return true; // HTTP/1.0 without Host: not a browser
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return name === "localhost" || isIP(name) !== 0;
}

function presented(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const space = header.indexOf(" ");
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === "bearer") return same(value, token);
  if (scheme !== "basic") return false;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon >= 0 && same(decoded.slice(colon + 1), token);
}

/** Equal-time comparison of digests (equal lengths whatever the guess). */
function same(guess: string, token: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(guess), digest(token));
}

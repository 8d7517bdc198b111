/**
 * Access to the control endpoint when it carries `control.token`: every request shows the token,
 * as `Authorization: Bearer <token>` (scripts, Prometheus) or as the password of basic auth (a
 * browser, which then sends it with the page's scripts and its event stream too). The comparison
 * takes the same time whatever the guess.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** True when the request may go on; otherwise a 401 has been sent. */
export function authorize(req: IncomingMessage, res: ServerResponse, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (presented(req.headers.authorization, token)) return true;
  res.writeHead(401, {
    "content-type": "text/plain; charset=utf-8",
    "www-authenticate": 'Basic realm="siteboot", charset="UTF-8"',
    "cache-control": "no-store",
  });
  res.end("this control endpoint needs control.token (Bearer, or the password of basic auth)\n");
  return false;
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

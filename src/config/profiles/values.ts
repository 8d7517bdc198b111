import { selfUrl } from "../../provision/self-url.js";
import type { PathSegment } from "../diagnostics.js";
import { normalizeName } from "../dns-names.js";
import { IPV4_EXPECTED, parseIpv4 } from "../ipv4.js";
import type { ProfileContext } from "./types.js";

/**
 * The text values of the vendor profiles, checked before they reach a phone: a URL, a server (an
 * address, `self` or a name), a file name. Each problem is reported at the value's own position.
 */

/** Digits and dots only: meant as an IPv4 address, so a part above 255 is a typo, never a name. */
export function looksLikeIpv4(text: string): boolean {
  return /^[0-9]+(\.[0-9]+)+$/.test(text);
}

/** `self`, an IPv4 address or a DNS name; undefined (and an error at `path`) otherwise. */
export function checkServer(ctx: ProfileContext, text: string, path: readonly PathSegment[]): boolean {
  if (text === "self" || parseIpv4(text) !== undefined) return true;
  if (looksLikeIpv4(text)) {
    ctx.error(path, `${IPV4_EXPECTED}, got "${text}"`);
    return false;
  }
  const name = normalizeName(text);
  if (!name.ok || name.name === "" || /[^a-z0-9.-]/.test(name.name)) {
    ctx.error(path, `expected an IPv4 address, "self" or a host name, got "${text}"`);
    return false;
  }
  return true;
}

const URL_FORM = /^(https?|tftp|ftp):\/\/([^/:?#\s]+)(:[0-9]{1,5})?([/?#][^\s]*)?$/i;

/**
 * A provisioning URL phones can fetch: http, https, tftp or ftp, to `self`, an address or a name.
 * Returns the URL to send, with `self` as this box (the text as written when it is refused).
 */
export function checkUrl(ctx: ProfileContext, text: string, path: readonly PathSegment[]): string {
  return urlFits(ctx, text, path) ? selfUrl(text, ctx.self, ctx.ports) : text;
}

function urlFits(ctx: ProfileContext, text: string, path: readonly PathSegment[]): boolean {
  const url = URL_FORM.exec(text);
  if (url === null) {
    ctx.error(
      path,
      `expected a URL such as http://prov.contoso.com/phones/ (http, https, tftp or ftp), got "${text}"`,
    );
    return false;
  }
  const port = url[3] === undefined ? undefined : Number(url[3].slice(1));
  if (port !== undefined && (port < 1 || port > 65535)) {
    ctx.error(path, `the URL's port must be 1 to 65535, got ${port}`);
    return false;
  }
  return checkServer(ctx, url[2] ?? "", path);
}

/** Option 66 text: a URL, or a server on its own; returned as sent (`self` as this box). */
export function checkServerText(ctx: ProfileContext, text: string, path: readonly PathSegment[]): string {
  if (text.includes("://")) return checkUrl(ctx, text, path);
  return checkServer(ctx, text, path) ? selfUrl(text, ctx.self, ctx.ports) : text;
}

/** A value inside a list phones split on commas and "=" (Avaya's NAME=value,…): none of those, no spaces. */
export function checkListValue(ctx: ProfileContext, text: string, path: readonly PathSegment[]): boolean {
  if (text === "" || /[\s,=]/.test(text) || /[\x00-\x1f\x7f]/.test(text)) {
    ctx.error(path, `expected a value without spaces, commas or "=", got "${text}"`);
    return false;
  }
  return true;
}

/** A file name on the provisioning server: no spaces or control characters. */
export function checkFileName(ctx: ProfileContext, text: string, path: readonly PathSegment[]): boolean {
  if (/[\s\x00-\x1f\x7f]/.test(text)) {
    ctx.error(path, `expected a file name without spaces, got "${text}"`);
    return false;
  }
  return true;
}

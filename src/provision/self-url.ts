import { formatIpv4 } from "../config/ipv4.js";

/** Options whose text may name this box as `self`: 66 (tftp-server) and 160 (provisioning-server). */
const SELF_TEXT_OPTIONS = new Set([66, 160]);

/** A URL whose host is `self`: scheme, optional port, optional path. */
const SELF_URL = /^(https?|tftp):\/\/self(:\d+)?(\/.*)?$/i;

/** Whether option `code`'s text may name this box as `self`. */
export function takesSelf(code: number): boolean {
  return SELF_TEXT_OPTIONS.has(code);
}

/**
 * The protocol a value sends phones to this box over: the scheme of a URL whose host is `self`,
 * TFTP for the bare word `self` (a server address in option 66 or 160); undefined otherwise.
 */
export function selfScheme(value: string): "tftp" | "http" | "https" | undefined {
  if (value === "self") return "tftp";
  const scheme = SELF_URL.exec(value)?.[1]?.toLowerCase();
  return scheme === "tftp" || scheme === "http" || scheme === "https" ? scheme : undefined;
}

/**
 * `self` in the text of option 66 or 160 becomes this box: the whole value `self` → its address;
 * a URL whose host is `self` → the address, plus the HTTP or TFTP port when that is not the
 * scheme's default. Every other value is returned as it is.
 */
export function expandSelf(
  code: number,
  value: unknown,
  self: number,
  ports: { readonly http: number; readonly https: number; readonly tftp: number },
): unknown {
  if (!takesSelf(code) || typeof value !== "string") return value;
  return selfUrl(value, self, ports);
}

/** `self`, or a URL whose host is `self`, as this box (see expandSelf); other text as it is. */
export function selfUrl(
  value: string,
  self: number,
  ports: { readonly http: number; readonly https: number; readonly tftp: number },
): string {
  const address = formatIpv4(self);
  if (value === "self") return address;
  const m = SELF_URL.exec(value);
  if (!m) return value;
  const scheme = (m[1] as string).toLowerCase();
  const defaults: Record<string, [number, number]> = {
    http: [80, ports.http],
    https: [443, ports.https],
    tftp: [69, ports.tftp],
  };
  const [standard, configured] = defaults[scheme] as [number, number];
  const port = m[2] ?? (configured === standard ? "" : `:${configured}`);
  return `${m[1]}://${address}${port}${m[3] ?? ""}`;
}

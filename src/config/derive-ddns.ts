/**
 * Two settings checked against the rest of the site: `dhcp.ddns` (lease host names in DNS) needs a
 * zone this box serves, and a control endpoint reachable from the network needs a token.
 */
import ipaddr from "ipaddr.js";
import { reverseName } from "./derive-dns.js";
import type { Diagnostic } from "./diagnostics.js";
import { isInZone, normalizeName } from "./dns-names.js";
import { parseDuration } from "./durations.js";
import type { SiteFile } from "./schema.js";
import type { Cidr, LeaseDnsSettings, Zone } from "./site.js";
import type { YamlSource } from "./yaml-source.js";

/** Shortest token accepted off loopback: guessing 24 characters over a LAN is out of reach. */
export const MIN_CONTROL_TOKEN = 24;

export function deriveLeaseDns(
  source: YamlSource,
  file: SiteFile,
  zones: readonly Zone[],
  subnets: readonly Cidr[],
  diagnostics: Diagnostic[],
): LeaseDnsSettings | undefined {
  const ddns = file.dhcp.ddns;
  if (ddns === undefined) return undefined;
  const here = ["dhcp", "ddns"];
  const checked = normalizeName(ddns.zone);
  if (!checked.ok) {
    diagnostics.push(source.diagnostic("error", [...here, "zone"], checked.error));
    return undefined;
  }
  const zone = checked.name;
  const served = zones.filter((z) => !z.synthesized).map((z) => z.origin);
  if (!served.includes(zone)) {
    const known = served.length > 0 ? `; zones: ${served.join(", ")}` : "; dns.zones defines none";
    diagnostics.push(
      source.diagnostic("error", [...here, "zone"], `"${zone}" is not a zone in dns.zones${known}`),
    );
    return undefined;
  }
  const ttl = parseDuration(ddns.ttl);
  if (ttl === undefined) {
    diagnostics.push(source.diagnostic("error", [...here, "ttl"], "expected a duration such as 5m"));
    return undefined;
  }
  if (!file.dns.enabled) {
    diagnostics.push(
      source.diagnostic("warning", here, "dns.enabled is false: lease host names are kept but not served"),
    );
  }
  if (ddns.reverse) {
    for (const subnet of subnets) {
      const sample = reverseName(subnet.network);
      if (!zones.some((z) => isInZone(sample, z.origin) && z.origin.endsWith("in-addr.arpa"))) {
        diagnostics.push(
          source.diagnostic(
            "warning",
            [...here, "reverse"],
            `no reverse zone holds the addresses of ${subnet.text}: their leases get no PTR`,
          ),
        );
      }
    }
  }
  return Object.freeze({ zone, reverse: ddns.reverse, ttl });
}

/**
 * The token, checked. An endpoint other hosts can reach without one is allowed (a closed lab
 * network) but warned of: it shows every lease and phone timeline to whoever asks.
 */
export function controlToken(
  source: YamlSource,
  file: SiteFile,
  diagnostics: Diagnostic[],
): string | undefined {
  const { address, token } = file.control;
  if (token !== undefined && token.length < MIN_CONTROL_TOKEN) {
    diagnostics.push(
      source.diagnostic(
        "error",
        ["control", "token"],
        `the token is ${token.length} characters long; at least ${MIN_CONTROL_TOKEN} are required`,
      ),
    );
  }
  if (file.control.enabled && token === undefined && !isLoopback(address)) {
    diagnostics.push(
      source.diagnostic(
        "warning",
        ["control", "address"],
        `the control endpoint on ${address} is reachable from the network without a token: anyone who reaches it reads every lease and phone timeline; set control.token (at least ${MIN_CONTROL_TOKEN} characters)`,
      ),
    );
  }
  return token;
}

/** 127.0.0.0/8, ::1 and localhost are loopback; anything else (0.0.0.0, a LAN address) is not. */
export function isLoopback(address: string): boolean {
  if (address === "localhost") return true;
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return parsed.range() === "loopback";
}

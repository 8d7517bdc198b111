import { layeredOptions } from "../config/dhcp/layers.js";
import { formatDiagnostic } from "../config/diagnostics.js";
import { formatDuration } from "../config/durations.js";
import { formatIpv4 } from "../config/ipv4.js";
import { loadSite } from "../config/load.js";
import type { DhcpSubnet, Site } from "../config/site.js";
import { matchVendorClass, splitOption, toHex } from "../dhcp/options/index.js";
import { normalizeMac } from "../observe/timeline.js";
import { explainProvisioning } from "../provision/describe.js";
import { table } from "./control-client.js";
import { where } from "./print-site.js";

export interface ExplainQuery {
  readonly mac: string;
  readonly vendorClass?: string;
  /** Option 60 as hex, for binary vendor classes such as Polycom's RFC 3925 form. */
  readonly vendorClassHex?: string;
  readonly clientId?: string;
  readonly subnet?: string;
}

/**
 * `siteboot explain --mac M [--vendor-class V]`: offline, from site.yaml alone, what that client
 * would be given — the address and every option, with the layer and FILE:LINE each came from.
 */
export async function runExplain(
  file: string,
  query: ExplainQuery,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const result = await loadSite(file);
  if (!result.ok) {
    for (const d of result.errors) err(formatDiagnostic(d));
    return 1;
  }
  const mac = normalizeMac(query.mac);
  if (!mac) {
    err(`"${query.mac}" is not a MAC address (expected six octets such as 00:04:f2:00:00:01)`);
    return 2;
  }
  const text = explain(result.site, { ...query, mac });
  if ("error" in text) {
    err(text.error);
    return 1;
  }
  out(text.lines.join("\n"));
  if (result.site.provisioning) out((await explainProvisioning(result.site, mac)).join("\n"));
  return 0;
}

export function explain(site: Site, query: ExplainQuery): { lines: string[] } | { error: string } {
  const dhcp = site.dhcp;
  const clientId = query.clientId?.toLowerCase().replace(/[:-]/g, "");
  const host =
    (clientId ? dhcp.hosts.find((h) => h.clientId === clientId) : undefined) ??
    dhcp.hosts.find((h) => h.mac === query.mac);
  let subnet: DhcpSubnet | undefined;
  if (query.subnet) {
    subnet = dhcp.subnets.find((s) => s.cidr.text === query.subnet);
    if (!subnet)
      return {
        error: `no DHCP subnet ${query.subnet} (the site has ${dhcp.subnets.map((s) => s.cidr.text).join(", ") || "none"})`,
      };
  } else if (host?.subnetIndex !== undefined) {
    subnet = dhcp.subnets[host.subnetIndex];
  } else {
    subnet = dhcp.subnets.find((s) => s.interface !== undefined) ?? dhcp.subnets[0];
  }
  const vendorBytes =
    query.vendorClassHex !== undefined
      ? Uint8Array.from(Buffer.from(query.vendorClassHex.replace(/[^0-9a-fA-F]/g, ""), "hex"))
      : query.vendorClass !== undefined
        ? new TextEncoder().encode(query.vendorClass)
        : undefined;
  const dhcpClass = vendorBytes
    ? dhcp.classes.find((c) => matchVendorClass(c.match, vendorBytes))
    : undefined;

  const lines: string[] = [];
  const vendor = query.vendorClass ?? (query.vendorClassHex ? `hex ${query.vendorClassHex}` : undefined);
  lines.push(
    `client   ${query.mac}${clientId ? ` client-id ${clientId}` : ""}${vendor ? ` vendor class "${vendor}"` : ""}`,
  );
  if (!dhcp.enabled) lines.push("note     DHCP is disabled in this site");
  if (!subnet) {
    lines.push("subnet   none: the site has no DHCP subnet, so this client gets no address");
  } else {
    lines.push(
      `subnet   ${subnet.cidr.text} on ${subnet.interface ?? "relays"} (server ${formatIpv4(subnet.serverId)}; ${where(subnet.source)})`,
    );
    if (host?.address !== undefined) {
      lines.push(
        `address  ${formatIpv4(host.address)}, reserved by ${host.name ?? host.mac ?? host.clientId} (${where(host.source)})`,
      );
    } else {
      const pools = subnet.pools.map((p) => `${formatIpv4(p.first)}-${formatIpv4(p.last)}`).join(", ");
      lines.push(
        `address  from the pool ${pools || "(none: no pool, so no address)"}; its previous lease first, if it had one`,
      );
    }
    lines.push(
      `lease    ${formatDuration(subnet.leaseTimeSeconds)} (T1 ${formatDuration(subnet.renewSeconds)}, T2 ${formatDuration(subnet.rebindSeconds)})`,
    );
  }
  lines.push(
    `class    ${dhcpClass ? `${dhcpClass.name} (${where(dhcpClass.source)})` : vendorBytes ? "none matches this vendor class" : "none (no vendor class given)"}`,
  );
  lines.push(
    `host     ${host ? `${host.name ?? host.mac ?? host.clientId} (${where(host.source)})` : "no reservation"}`,
  );
  lines.push("");
  const options = [...layeredOptions(dhcp, subnet, dhcpClass, host).values()].sort((a, b) => a.code - b.code);
  lines.push(
    table([
      ["CODE", "NAME", "VALUE", "LAYER", "FROM", "WIRE"],
      ...options.map((o) => [
        String(o.code),
        o.name,
        o.display,
        o.profile === undefined ? o.layer : `${o.layer} (profile ${o.profile})`,
        where(o.source),
        toHex(splitOption(o.code, o.data)),
      ]),
    ]),
  );
  lines.push("");
  lines.push(...profilePrecedence(site, dhcpClass?.name));
  lines.push(
    "Also in every reply: 53 (message type), 54 (server identifier), 51/58/59 (lease times); only options the client asks for in 55 are sent, then those the site sets.",
  );
  return { lines };
}

/** How profile output ranks, and which of this class's profile options explicit settings replaced. */
function profilePrecedence(site: Site, className: string | undefined): string[] {
  const report = site.profiles;
  if (!report || report.profiles.size === 0) return [];
  const lines = [
    "Precedence: host > class > subnet > global; explicit classes match before profile classes, and an explicit class named like a profile's replaces the profile's options it sets.",
  ];
  for (const o of report.overridden) {
    if (className !== undefined && o.what.startsWith(`class ${className} `)) {
      lines.push(`replaced: ${o.what} from profile ${o.profile} (${where(o.source)}) by ${where(o.by)}`);
    }
  }
  lines.push("");
  return lines;
}

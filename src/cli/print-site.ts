import { formatIpv4 } from "../config/ipv4.js";
import { formatRecordData } from "../config/records.js";
import type { ConfiguredOption, OptionSet, Site, SourceRef } from "../config/site.js";
import { splitOption, toHex } from "../dhcp/options/index.js";
import { provisioningSummary } from "../provision/describe.js";

/**
 * What `siteboot check` prints after the diagnostics: every zone in zone-file form, then every
 * DHCP option set with name, code, value, the exact wire bytes and where each option came from.
 */
export function formatSite(site: Site): string {
  const out: string[] = [];
  out.push(`; site ${site.name} (SIP domain ${site.sipDomain}, DHCP domain ${site.dhcpDomain})`);
  out.push(
    `; this box: ${site.listen.address}; DNS/NTP bind ${site.listen.bind.join(", ")}; DHCP on ${site.listen.interfaces.join(", ") || "no interface"}`,
  );
  out.push("");
  for (const zone of site.dns.zones) {
    out.push(
      `$ORIGIN ${zone.origin}.${zone.synthesized ? "   ; reverse zone synthesised from the A records in the DHCP subnets" : ""}`,
    );
    for (const record of zone.records) {
      const owner = `${record.name}.`;
      const from = record.source
        ? `   ; ${where(record.source)}${fromProfile(record.profile)}`
        : "   ; generated";
      out.push(
        `${owner.padEnd(40)} ${String(record.ttl).padStart(6)} IN ${record.data.type.padEnd(5)} ${formatRecordData(record.data)}${from}`,
      );
    }
    out.push("");
  }
  if (site.dns.forwarders.length > 0) {
    out.push(
      `; other names are forwarded to ${site.dns.forwarders.map((u) => `${u.address}:${u.port}`).join(", ")}`,
    );
  } else {
    out.push("; forwarding is off: names outside these zones are REFUSED");
  }
  out.push("");

  const dhcp = site.dhcp;
  out.push(`# DHCP ${dhcp.enabled ? "enabled" : "disabled"}`);
  out.push(...optionBlock("global options", dhcp.options));
  for (const subnet of dhcp.subnets) {
    const pools =
      subnet.pools.map((p) => `${formatIpv4(p.first)}-${formatIpv4(p.last)}`).join(", ") ||
      "none (reservations only)";
    out.push(
      `subnet ${subnet.cidr.text} on ${subnet.interface ?? "relays only"}: server ${formatIpv4(subnet.serverId)}, pools ${pools}, lease ${subnet.leaseTimeSeconds}s (T1 ${subnet.renewSeconds}s, T2 ${subnet.rebindSeconds}s)`,
    );
    out.push(...optionBlock(`subnet ${subnet.cidr.text} options`, subnet.options));
  }
  for (const c of dhcp.classes) {
    const match =
      c.match.kind === "glob"
        ? `vendor-class "${c.match.pattern}"`
        : `enterprise ${c.match.enterprise}${c.match.data ? ` data "${c.match.data.pattern}"` : ""}`;
    const matchCase = c.match.exact ? ", case exact" : "";
    out.push(...optionBlock(`class ${c.name} (${match}${matchCase}) options`, c.options));
  }
  for (const h of dhcp.hosts) {
    const who = [h.name, h.mac, h.clientId ? `client-id ${h.clientId}` : undefined].filter(Boolean).join(" ");
    const address = h.address === undefined ? "no fixed address" : formatIpv4(h.address);
    out.push(...optionBlock(`host ${who} → ${address} options`, h.options));
  }
  out.push("");
  out.push(...profileSection(site));
  out.push(
    `# NTP ${site.ntp.enabled ? "enabled" : "disabled"}: stratum ${site.ntp.stratum.mode}${"stratum" in site.ntp.stratum ? ` ${site.ntp.stratum.stratum}` : ""}, refid ${site.ntp.refid}`,
  );
  if (site.provisioning) out.push("", ...provisioningSummary(site));
  return out.join("\n");
}

function optionBlock(title: string, options: OptionSet): string[] {
  if (options.size === 0) return [`${title}: none`];
  const lines = [`${title}:`];
  for (const option of [...options.values()].sort((a, b) => a.code - b.code))
    lines.push(formatOption(option));
  return lines;
}

export function formatOption(option: ConfiguredOption): string {
  const wire = toHex(splitOption(option.code, option.data));
  return `  ${String(option.code).padStart(3)} ${option.name.padEnd(28)} ${option.display}\n      wire ${wire}\n      from ${option.layer} at ${where(option.source)}${fromProfile(option.profile)}`;
}

function fromProfile(profile: string | undefined): string {
  return profile === undefined ? "" : ` (profile ${profile})`;
}

/** Each profile with its origin, what explicit settings replaced, and the isolated-lab time names. */
function profileSection(site: Site): string[] {
  const report = site.profiles;
  if (!report || (report.profiles.size === 0 && report.timeNames.length === 0)) return [];
  const out: string[] = [];
  for (const [name, source] of report.profiles) {
    const records = site.dns.zones.flatMap((z) => z.records.filter((r) => r.profile === name)).length;
    const classes = site.dhcp.classes.filter((c) => c.profile === name || hasProfileOption(c.options, name));
    out.push(
      `# profile ${name} at ${where(source)}: ${records} record${records === 1 ? "" : "s"}, class${classes.length === 1 ? "" : "es"} ${classes.map((c) => c.name).join(", ") || "none"} (marked "profile ${name}" above)`,
    );
    for (const o of report.overridden.filter((x) => x.profile === name)) {
      out.push(`#   replaced: ${o.what} (${where(o.source)}) by the explicit setting at ${where(o.by)}`);
    }
  }
  if (report.timeNames.length > 0) {
    out.push(
      `# isolated-lab time: ${report.timeNames.length} time server names answer A ${site.listen.address} (authoritative):`,
    );
    out.push(`#   ${report.timeNames.join(" ")}`);
  }
  out.push("");
  return out;
}

function hasProfileOption(options: OptionSet, profile: string): boolean {
  for (const o of options.values()) if (o.profile === profile) return true;
  return false;
}

/** A source position as FILE:LINE:COL, the form editors and compilers use. */
export function where(ref: SourceRef): string {
  return `${ref.file}:${ref.line}:${ref.col}`;
}

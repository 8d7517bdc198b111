import ipaddr from "ipaddr.js";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { type HostNetwork, normalIpv6 } from "./host-network.js";
import { cidrContains, parseCidr, parseIpv4 } from "./ipv4.js";
import type { SiteFile } from "./schema.js";
import type { YamlSource } from "./yaml-source.js";

/**
 * What the file names that this host does not have: interfaces DHCP is to be served on, addresses
 * DNS, NTP, the provisioning servers and the control endpoint are to listen on. A start here would fail on them, but the
 * file may be meant for another machine, so they are warnings marked `absentOnHost`.
 */
export function checkHost(source: YamlSource, file: SiteFile, host: HostNetwork): Diagnostic[] {
  const out: Diagnostic[] = [];
  const warn = (path: PathSegment[], message: string) =>
    out.push({ ...source.diagnostic("warning", path, message), absentOnHost: true });
  const known = new Set(host.interfaces);
  const interfaceMissing = (name: string, path: PathSegment[], what: string) => {
    if (!known.has(name))
      warn(
        path,
        `interface ${name} does not exist on this host (it has ${listOf(host.interfaces)}); ${what}`,
      );
  };
  if (file.dhcp.enabled) {
    file.listen.interfaces.forEach((name, i) => {
      interfaceMissing(name, ["listen", "interfaces", i], "DHCP cannot be served on it");
    });
    file.dhcp.subnets.forEach((subnet, i) => {
      if (subnet.interface !== undefined)
        interfaceMissing(
          subnet.interface,
          ["dhcp", "subnets", i, "interface"],
          "this subnet cannot be served on it",
        );
    });
  }

  const addressMissing = (address: string, path: PathSegment[], what: string) => {
    if (hasAddress(host, address)) return;
    if (ipaddr.IPv6.isValid(address) && host.tentative?.includes(normalIpv6(address)))
      warn(
        path,
        `${address} is on this host but not usable yet (IPv6 duplicate address detection has not finished: is its interface down?); ${what} cannot listen on it`,
      );
    else
      warn(
        path,
        `${address} is not an address of this host (it has ${listOf(host.addresses)}); ${what} cannot listen on it`,
      );
  };
  // The services that listen on listen.bind (or listen.address when bind is absent).
  const p = file.provisioning;
  const listening = [
    file.dns.enabled && "DNS",
    file.ntp.enabled && "NTP",
    p?.tftp.enabled && "TFTP",
    p?.http.enabled && (p.http.https ? "HTTP(S)" : "HTTP"),
  ].filter((name): name is string => typeof name === "string");
  if (listening.length > 0) {
    const what =
      listening.length === 1
        ? listening[0]!
        : `${listening.slice(0, -1).join(", ")} and ${listening[listening.length - 1]}`;
    if (file.listen.bind === undefined) addressMissing(file.listen.address, ["listen", "address"], what);
    else
      file.listen.bind.forEach((address, i) => {
        addressMissing(address, ["listen", "bind", i], what);
      });
  }
  if (file.control.enabled)
    addressMissing(file.control.address, ["control", "address"], "the control endpoint");
  return out;
}

/** True when a socket can bind to the address here: a wildcard, or a local address or range. */
function hasAddress(host: HostNetwork, text: string): boolean {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) {
    if (v4 === 0) return true;
    return host.addresses.some((a) => {
      const range = a.includes("/") ? parseCidr(a) : undefined;
      return range === undefined ? a === text : !("error" in range) && cidrContains(range, v4);
    });
  }
  if (text === "localhost") return hasAddress(host, "127.0.0.1") || hasAddress(host, "::1");
  if (!ipaddr.IPv6.isValid(text)) return true; // refused by the file check already
  const v6 = normalIpv6(text);
  return v6 === "::" || host.addresses.includes(v6);
}

function listOf(items: readonly string[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}

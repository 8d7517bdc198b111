import type { ConfiguredOption, DhcpClass, DhcpHost, DhcpSite, DhcpSubnet, OptionSet } from "../site.js";

/** Merged options for one client, precedence host > class > subnet > global. */
export function layeredOptions(
  site: DhcpSite,
  subnet: DhcpSubnet | undefined,
  dhcpClass: DhcpClass | undefined,
  host: DhcpHost | undefined,
): OptionSet {
  const merged = new Map<number, ConfiguredOption>(site.options);
  for (const layer of [subnet?.options, dhcpClass?.options, host?.options]) {
    if (layer) for (const [code, option] of layer) merged.set(code, option);
  }
  return merged;
}

/**
 * What the DHCP core looks up in a Site for every request, indexed once per load: the subnets of
 * each interface, the host reservations by client-id, MAC and address, the vendor classes, and the
 * merged option set per subnet, class and host.
 */
import { cidrContains } from "../config/ipv4.js";
import type { DhcpClass, DhcpHost, DhcpSite, DhcpSubnet, OptionSet } from "../config/site.js";
import type { ClientIdentity } from "./client-identity.js";
import { matchVendorClass } from "./options/index.js";
import type { DhcpPacket } from "./packet.js";
import { effectiveOptions } from "./reply-options.js";

export class DhcpSiteIndex {
  readonly #dhcp: DhcpSite;
  readonly #hostsByMac = new Map<string, DhcpHost>();
  readonly #hostsById = new Map<string, DhcpHost>();
  readonly #hostsByAddress = new Map<number, DhcpHost>();
  /** The subnets served on each interface, in site order. */
  readonly #subnetsByInterface = new Map<string, DhcpSubnet[]>();
  /**
   * Merged option sets per subnet, then class, then host (the objects themselves as keys: no key
   * text per reply), built on first use.
   */
  readonly #optionCache = new Map<
    DhcpSubnet,
    Map<DhcpClass | undefined, Map<DhcpHost | undefined, OptionSet>>
  >();

  constructor(dhcp: DhcpSite) {
    this.#dhcp = dhcp;
    for (const subnet of dhcp.subnets) {
      if (subnet.interface === undefined) continue; // reached through relays only
      const list = this.#subnetsByInterface.get(subnet.interface);
      if (list) list.push(subnet);
      else this.#subnetsByInterface.set(subnet.interface, [subnet]);
    }
    // The first reservation of a key wins (the config layer refuses duplicates anyway).
    for (const host of dhcp.hosts) {
      if (host.clientId !== undefined && !this.#hostsById.has(host.clientId))
        this.#hostsById.set(host.clientId, host);
      if (host.mac !== undefined && !this.#hostsByMac.has(host.mac)) this.#hostsByMac.set(host.mac, host);
      if (host.address !== undefined && !this.#hostsByAddress.has(host.address))
        this.#hostsByAddress.set(host.address, host);
    }
  }

  /** RFC 2131 §4.3.1: by giaddr when relayed, else by the interface the request arrived on. */
  subnetFor(packet: DhcpPacket, iface: string, hint: number | undefined): DhcpSubnet | undefined {
    if (packet.giaddr !== 0) return this.#dhcp.subnets.find((s) => cidrContains(s.cidr, packet.giaddr));
    const local = this.#subnetsByInterface.get(iface);
    if (local === undefined) return undefined;
    if (local.length > 1 && hint !== undefined) {
      const containing = local.find((s) => cidrContains(s.cidr, hint));
      if (containing) return containing;
    }
    return local[0];
  }

  /** The client's reservation: by client-id first, then by the MAC of an Ethernet client. */
  hostFor(client: ClientIdentity, packet: DhcpPacket): DhcpHost | undefined {
    return (
      (client.clientId !== undefined ? this.#hostsById.get(client.clientId) : undefined) ??
      (packet.htype === 1 && packet.hlen === 6 ? this.#hostsByMac.get(client.mac) : undefined)
    );
  }

  /** The reservation that holds `address`, if any. */
  hostAt(address: number): DhcpHost | undefined {
    return this.#hostsByAddress.get(address);
  }

  /** The first class whose match accepts option 60. */
  classFor(vendorData: Uint8Array): DhcpClass | undefined {
    return this.#dhcp.classes.find((c) => safeMatch(c, vendorData));
  }

  /** The options the site configures for this client (host > class > subnet > global). */
  configured(subnet: DhcpSubnet, cls: DhcpClass | undefined, host: DhcpHost | undefined): OptionSet {
    let byClass = this.#optionCache.get(subnet);
    if (!byClass) {
      byClass = new Map();
      this.#optionCache.set(subnet, byClass);
    }
    let byHost = byClass.get(cls);
    if (!byHost) {
      byHost = new Map();
      byClass.set(cls, byHost);
    }
    let options = byHost.get(host);
    if (!options) {
      options = effectiveOptions(this.#dhcp, subnet, cls, host);
      byHost.set(host, options);
    }
    return options;
  }
}

function safeMatch(cls: DhcpClass, data: Uint8Array): boolean {
  try {
    return matchVendorClass(cls.match, data);
  } catch {
    return false;
  }
}

import type { PathSegment } from "../diagnostics.js";
import { broadcastOf, cidrContains } from "../ipv4.js";
import type { HostFile } from "../schema.js";
import type { DhcpHost, DhcpSubnet } from "../site.js";
import { type DeriveContext, ipv4At } from "./context.js";
import { addDerived, deriveOptions } from "./options.js";

/**
 * Reservations: each MAC, client-id and address reserved once, each address inside a subnet.
 * `subnets` is undefined when some subnet was refused: then where a reservation belongs is unknown.
 */
export function deriveHosts(
  ctx: DeriveContext,
  hosts: readonly HostFile[],
  subnets: readonly DhcpSubnet[] | undefined,
): DhcpHost[] {
  const out: DhcpHost[] = [];
  const seen = {
    mac: new Map<string, number>(),
    clientId: new Map<string, number>(),
    address: new Map<number, number>(),
  };
  hosts.forEach((h, index) => {
    const path: PathSegment[] = ["dhcp", "hosts", index];
    const error = (sub: PathSegment[], message: string) =>
      ctx.diagnostics.push(ctx.source.diagnostic("error", [...path, ...sub], message));
    const mac = h.mac?.toLowerCase().replaceAll("-", ":");
    const clientId = h["client-id"]?.toLowerCase().replace(/[:-]/g, "");
    if (mac === undefined && clientId === undefined) error([], "a reservation needs a mac or a client-id");
    if (clientId !== undefined && clientId.length % 2 !== 0)
      error(["client-id"], "the client identifier must be whole octets");
    const duplicate = (kind: keyof typeof seen, key: string | number, sub: string, label: string) => {
      const earlier = (seen[kind] as Map<string | number, number>).get(key);
      if (earlier !== undefined) error([sub], `${label} is already reserved by dhcp.hosts[${earlier}]`);
      else (seen[kind] as Map<string | number, number>).set(key, index);
    };
    if (mac !== undefined) duplicate("mac", mac, "mac", `MAC ${mac}`);
    if (clientId !== undefined) duplicate("clientId", clientId, "client-id", `client-id ${clientId}`);

    let address: number | undefined;
    let subnetIndex: number | undefined;
    if (h.address !== undefined) {
      address = ipv4At(ctx, h.address, [...path, "address"]);
      if (address !== undefined) {
        duplicate("address", address, "address", `address ${h.address}`);
        const subnet = subnets?.find((s) => cidrContains(s.cidr, address as number));
        if (!subnet && subnets) {
          error(
            ["address"],
            `${h.address} is not inside any DHCP subnet (${subnets.map((s) => s.cidr.text).join(", ") || "none"})`,
          );
        } else if (subnet) {
          subnetIndex = subnet.index;
          if (address === subnet.cidr.network || address === broadcastOf(subnet.cidr)) {
            error(["address"], `${h.address} is the network or broadcast address of ${subnet.cidr.text}`);
          } else if (address === subnet.router || address === subnet.serverId) {
            error(
              ["address"],
              `${h.address} is the ${address === subnet.router ? "router" : "server"} address of ${subnet.cidr.text}`,
            );
          }
        }
      }
    }
    const options = new Map(deriveOptions(ctx, h.options ?? {}, [...path, "options"], "host"));
    if (h.name !== undefined && !options.has(12))
      addDerived(ctx, options, 12, h.name, [...path, "name"], "host");
    out.push(
      Object.freeze({
        ...(h.name === undefined ? {} : { name: h.name }),
        ...(mac === undefined ? {} : { mac }),
        ...(clientId === undefined ? {} : { clientId }),
        ...(address === undefined ? {} : { address }),
        ...(subnetIndex === undefined ? {} : { subnetIndex }),
        options,
        source: ctx.source.at(path),
      }),
    );
  });
  return out;
}

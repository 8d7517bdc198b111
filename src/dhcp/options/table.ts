/**
 * The DHCPv4 option table: options are data (one row per code), encoded by one generic codec per
 * type. Adding an option is adding a row. Names are kebab-case; `siteboot check` and error messages
 * use them, and config validation offers "did you mean" hints from `optionNames()`.
 */

export type OptionTypeName =
  | "ip"
  | "u8"
  | "u16"
  | "u32"
  | "s32"
  | "bool"
  | "string"
  | "hex"
  | "domain"
  | "sip-servers"
  | "vendor-options";

export interface OptionDef {
  readonly code: number;
  readonly name: string;
  readonly type: OptionTypeName;
  readonly array: boolean;
  readonly description: string;
}

function row(code: number, name: string, spec: string, description: string): OptionDef {
  const array = spec.endsWith("[]");
  const type = (array ? spec.slice(0, -2) : spec) as OptionTypeName;
  return Object.freeze({ code, name, type, array, description });
}

export const OPTION_TABLE: readonly OptionDef[] = Object.freeze([
  row(1, "subnet-mask", "ip", "Subnet mask (RFC 2132 3.3)"),
  row(2, "time-offset", "s32", "Offset of the local time zone from UTC, seconds (RFC 2132 3.4)"),
  row(3, "routers", "ip[]", "Default routers, preferred first (RFC 2132 3.5)"),
  row(4, "time-servers", "ip[]", "RFC 868 time servers (RFC 2132 3.6)"),
  row(5, "name-servers", "ip[]", "IEN 116 name servers (RFC 2132 3.7)"),
  row(6, "dns-servers", "ip[]", "DNS servers, preferred first (RFC 2132 3.8)"),
  row(7, "log-servers", "ip[]", "MIT-LCS UDP log servers (RFC 2132 3.9)"),
  row(12, "host-name", "string", "Client host name (RFC 2132 3.14)"),
  row(13, "boot-size", "u16", "Boot file size in 512-octet blocks (RFC 2132 3.15)"),
  row(15, "domain-name", "string", "DNS domain of the client (RFC 2132 3.17)"),
  row(17, "root-path", "string", "Root disk path (RFC 2132 3.19)"),
  row(19, "ip-forwarding", "bool", "Enable IP forwarding on the client (RFC 2132 4.1)"),
  row(23, "default-ip-ttl", "u8", "Default IP time-to-live (RFC 2132 4.5)"),
  row(26, "interface-mtu", "u16", "MTU of the interface, at least 68 (RFC 2132 5.1)"),
  row(28, "broadcast-address", "ip", "Broadcast address of the subnet (RFC 2132 5.3)"),
  row(35, "arp-cache-timeout", "u32", "ARP cache timeout, seconds (RFC 2132 6.3)"),
  row(37, "default-tcp-ttl", "u8", "Default TCP time-to-live (RFC 2132 7.1)"),
  row(38, "tcp-keepalive-interval", "u32", "TCP keepalive interval, seconds (RFC 2132 7.2)"),
  row(40, "nis-domain", "string", "NIS domain (RFC 2132 8.1)"),
  row(41, "nis-servers", "ip[]", "NIS servers (RFC 2132 8.2)"),
  row(42, "ntp-servers", "ip[]", "NTP servers, preferred first (RFC 2132 8.3)"),
  row(43, "vendor-encapsulated-options", "vendor-options", "Vendor sub-options (RFC 2132 8.4)"),
  row(44, "netbios-name-servers", "ip[]", "NetBIOS name servers / WINS (RFC 2132 8.5)"),
  row(45, "netbios-dd-servers", "ip[]", "NetBIOS datagram distribution servers (RFC 2132 8.6)"),
  row(46, "netbios-node-type", "u8", "NetBIOS node type: 1 B, 2 P, 4 M, 8 H (RFC 2132 8.7)"),
  row(47, "netbios-scope", "string", "NetBIOS scope (RFC 2132 8.8)"),
  row(50, "requested-address", "ip", "Address the client asks for (RFC 2132 9.1; client only)"),
  row(51, "lease-time", "u32", "Lease time, seconds (RFC 2132 9.2)"),
  row(52, "option-overload", "u8", "file/sname carry options: 1 file, 2 sname, 3 both (RFC 2132 9.3)"),
  row(53, "message-type", "u8", "DHCP message type (RFC 2132 9.6; set by the server)"),
  row(54, "server-identifier", "ip", "Server identifier (RFC 2132 9.7; set by the server)"),
  row(55, "parameter-request-list", "u8[]", "Options the client asks for (RFC 2132 9.8; client only)"),
  row(56, "message", "string", "Error message to the client (RFC 2132 9.9)"),
  row(57, "max-message-size", "u16", "Largest DHCP message the client accepts (RFC 2132 9.10)"),
  row(58, "renewal-time", "u32", "T1 renewal time, seconds (RFC 2132 9.11)"),
  row(59, "rebinding-time", "u32", "T2 rebinding time, seconds (RFC 2132 9.12)"),
  row(60, "vendor-class-identifier", "string", "Vendor class of the client (RFC 2132 9.13)"),
  row(61, "client-identifier", "hex", "Client identifier (RFC 2132 9.14, RFC 4361; client only)"),
  row(66, "tftp-server", "string", "TFTP/provisioning server: name, address or URL (RFC 2132 9.4)"),
  row(67, "boot-file-name", "string", "Boot file name (RFC 2132 9.5)"),
  row(69, "smtp-servers", "ip[]", "SMTP servers (RFC 2132 8.12)"),
  row(82, "relay-agent-information", "hex", "Relay agent information (RFC 3046; relay only)"),
  row(100, "pcode", "string", "IEEE 1003.1 TZ string (RFC 4833)"),
  row(101, "tcode", "string", "TZ database name, e.g. Europe/Paris (RFC 4833)"),
  row(119, "domain-search", "domain[]", "DNS search list, compressed (RFC 3397)"),
  row(120, "sip-servers", "sip-servers", "SIP outbound proxies: names or addresses (RFC 3361)"),
  row(150, "tftp-server-address", "ip[]", "TFTP server addresses (RFC 5859)"),
  row(160, "provisioning-server", "string", "Polycom provisioning server URL"),
]);

const BY_CODE = new Map(OPTION_TABLE.map((d) => [d.code, d]));
const BY_NAME = new Map(OPTION_TABLE.map((d) => [d.name, d]));
const NAMES = Object.freeze(OPTION_TABLE.map((d) => d.name));

export function optionByCode(code: number): OptionDef | undefined {
  return BY_CODE.get(code);
}

/** Exact kebab-case name, e.g. "domain-search". */
export function optionByName(name: string): OptionDef | undefined {
  return BY_NAME.get(name);
}

export function optionNames(): readonly string[] {
  return NAMES;
}

/**
 * Options the DHCP server itself sets or reads from clients: a site must not configure them.
 * (51/58/59 are left to config, which derives them from the lease time settings.)
 */
export const SERVER_MANAGED_CODES: ReadonlySet<number> = new Set([0, 50, 52, 53, 54, 55, 57, 61, 82, 255]);

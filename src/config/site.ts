import type { ProvisioningSite } from "../provision/provisioning-site.js";

/**
 * The immutable Site: everything the services read, derived once per load of site.yaml.
 * Services never see the YAML; a reload builds a new Site and swaps it in whole.
 */

/** Where a value came from in site.yaml (1-based line and column). */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** An IPv4 network, e.g. 198.51.100.0/24. Addresses are unsigned 32-bit integers. */
export interface Cidr {
  readonly text: string;
  readonly network: number;
  readonly prefix: number;
  readonly mask: number;
}

export interface Site {
  readonly name: string;
  /** Right side of the phone's sign-in address (lowercase, no trailing dot). */
  readonly sipDomain: string;
  /** DHCP option 15, the AD DNS domain (lowercase, no trailing dot). */
  readonly dhcpDomain: string;
  /** Absolute path of the site.yaml this Site was loaded from. */
  readonly file: string;
  readonly listen: ListenSettings;
  readonly dhcp: DhcpSite;
  readonly dns: DnsSite;
  readonly ntp: NtpSite;
  /** Absent when site.yaml has no `provisioning:` section. */
  readonly provisioning?: ProvisioningSite;
  readonly control: ControlSettings;
  readonly log: LogSettings;
  /** Directory for persistent state (the lease journal). */
  readonly stateDir: string;
  /** What the `profiles:` block and `ntp.isolatedLab` generated, and what explicit settings replaced. */
  readonly profiles?: ProfileReport;
  /** Where leases live; absent (a Site built in code) means the journal in stateDir. */
  readonly leases?: LeaseSettings;
}

/** One profile output that an explicit setting replaced (precedence: explicit > profile). */
export interface ProfileOverride {
  readonly profile: string;
  /** e.g. "sip.fabrikam.com A 198.51.100.20" or "class lync option 120". */
  readonly what: string;
  readonly source: SourceRef;
  readonly by: SourceRef;
}

export interface ProfileReport {
  /** Profile name → where it stands in site.yaml. */
  readonly profiles: ReadonlyMap<string, SourceRef>;
  readonly overridden: readonly ProfileOverride[];
  /** Time server names answered with A self (ntp.isolatedLab). */
  readonly timeNames: readonly string[];
}

export type LeaseSettings =
  | { readonly backend: "file" }
  | {
      readonly backend: "postgresql";
      readonly url: string;
      /** Only the server holding the database's active lock answers (default: all answer). */
      readonly hotStandby: boolean;
      readonly maxConnections: number;
      readonly connectTimeoutMs: number;
      readonly statementTimeoutMs: number;
      readonly reconnectIntervalMs: number;
    };

export interface ListenSettings {
  /** This box's address on the phone LAN: what `self` means everywhere. */
  readonly address: string;
  /** Addresses the DNS and NTP sockets bind to (default: [address]). */
  readonly bind: readonly string[];
  /** Interfaces DHCP is served on; DHCP is never answered on any other. */
  readonly interfaces: readonly string[];
  readonly ports: {
    readonly dns: number;
    readonly dhcp: number;
    readonly ntp: number;
    readonly control: number;
  };
}

export interface ControlSettings {
  readonly enabled: boolean;
  /** Loopback by default. */
  readonly address: string;
  readonly port: number;
  /** Bearer token (or basic-auth password) every request must carry; required off loopback. */
  readonly token?: string;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface LogSettings {
  readonly level: LogLevel;
  /** Level at which every service event is logged (one JSON line per event). */
  readonly eventLevel: LogLevel;
}

// ---------------------------------------------------------------------------------------------
// DHCP

export type OptionLayer = "global" | "subnet" | "class" | "host";

/** One configured DHCP option, already validated and encoded. */
export interface ConfiguredOption {
  readonly code: number;
  readonly name: string;
  /** Type name from the option table (e.g. "ip-list", "domain-list"). */
  readonly type: string;
  /** The option data as it goes on the wire, before any RFC 3396 splitting. */
  readonly data: Uint8Array;
  /** Human-readable value, as `siteboot check` prints it. */
  readonly display: string;
  readonly layer: OptionLayer;
  readonly source: SourceRef;
  /** The profile that generated this option (site.yaml `profiles:`), when one did. */
  readonly profile?: string;
}

/** Options keyed by code. */
export type OptionSet = ReadonlyMap<number, ConfiguredOption>;

export interface AddressRange {
  readonly first: number;
  readonly last: number;
}

export interface DhcpSubnet {
  /** Stable index in site order, for metrics and logs. */
  readonly index: number;
  readonly cidr: Cidr;
  /** The interface this subnet is served on directly (absent: reached only through relays). */
  readonly interface?: string;
  /** Server identifier (option 54) for this subnet: listen.address when inside it, else the subnet's own `server` setting. */
  readonly serverId: number;
  readonly router?: number;
  readonly pools: readonly AddressRange[];
  readonly leaseTimeSeconds: number;
  /** T1/T2 in seconds (default 50 % and 87.5 % of the lease time). */
  readonly renewSeconds: number;
  readonly rebindSeconds: number;
  /** Options set at this subnet's level only (not merged). */
  readonly options: OptionSet;
  readonly source: SourceRef;
}

export type VendorClassMatch =
  /** Glob (`*`, `?`) on the text form of option 60; case-insensitive unless `exact`. */
  | { readonly kind: "glob"; readonly pattern: string; readonly regex: RegExp; readonly exact?: boolean }
  /**
   * RFC 3925 binary form (Polycom sends enterprise 13885 with sub-options): matches when the option
   * carries a vendor-class block of this enterprise number and, when `data` is given, one of its
   * data items matches the glob.
   */
  | {
      readonly kind: "enterprise";
      readonly enterprise: number;
      readonly data?: { readonly pattern: string; readonly regex: RegExp };
      readonly exact?: boolean;
    };

export interface DhcpClass {
  readonly name: string;
  readonly match: VendorClassMatch;
  readonly options: OptionSet;
  readonly source: SourceRef;
  /** The profile that generated this class, when one did (its options may be overridden). */
  readonly profile?: string;
}

export interface DhcpHost {
  readonly name?: string;
  /** Lowercase colon-separated, e.g. 00:04:f2:00:00:01. */
  readonly mac?: string;
  /** Option 61 client identifier as lowercase hex, no separators. */
  readonly clientId?: string;
  readonly address?: number;
  /** The subnet the reserved address belongs to (index into DhcpSite.subnets). */
  readonly subnetIndex?: number;
  readonly options: OptionSet;
  readonly source: SourceRef;
}

export interface DhcpSite {
  readonly enabled: boolean;
  readonly subnets: readonly DhcpSubnet[];
  /** First match wins. */
  readonly classes: readonly DhcpClass[];
  readonly hosts: readonly DhcpHost[];
  readonly options: OptionSet;
  /** How long an OFFER holds its address for the client (seconds). */
  readonly offerHoldSeconds: number;
  /** How long a DECLINEd address stays in quarantine (seconds). */
  readonly declineProbationSeconds: number;
  /** NAK requests for addresses we do not know in our subnets (RFC 2131 authoritative server). */
  readonly authoritative: boolean;
  /** Lease host names served in DNS (`dhcp.ddns`); absent when not configured. */
  readonly ddns?: LeaseDnsSettings;
}

export interface LeaseDnsSettings {
  /** Origin of the zone the names go in (one of dns.zones; lowercase, no trailing dot). */
  readonly zone: string;
  /** Serve the PTR in the reverse zone that holds the address. */
  readonly reverse: boolean;
  readonly ttl: number;
}

// ---------------------------------------------------------------------------------------------
// DNS

export type RecordType = "A" | "AAAA" | "SRV" | "CNAME" | "PTR" | "TXT" | "NS" | "SOA" | "MX";

export type RecordData =
  | { readonly type: "A"; readonly address: string }
  | { readonly type: "AAAA"; readonly address: string }
  | {
      readonly type: "SRV";
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  | { readonly type: "CNAME"; readonly target: string }
  | { readonly type: "PTR"; readonly target: string }
  | { readonly type: "TXT"; readonly strings: readonly string[] }
  | { readonly type: "NS"; readonly host: string }
  | { readonly type: "MX"; readonly preference: number; readonly exchange: string }
  | {
      readonly type: "SOA";
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    };

/**
 * Names everywhere in the DNS model are absolute, lowercase, without the trailing dot;
 * the root is "". Every label is ≤ 63 octets and every name ≤ 253 characters (validated).
 */
export interface ResourceRecord {
  readonly name: string;
  readonly ttl: number;
  readonly data: RecordData;
  /** Absent for records siteboot generated (SOA, NS, synthesised PTR). */
  readonly source?: SourceRef;
  /** The profile (or "isolatedLab") that generated this record, when one did. */
  readonly profile?: string;
}

export interface Zone {
  /** e.g. "fabrikam.com" or "100.51.198.in-addr.arpa". */
  readonly origin: string;
  /** Every record of the zone, the SOA first. */
  readonly records: readonly ResourceRecord[];
  readonly soa: ResourceRecord & { readonly data: Extract<RecordData, { type: "SOA" }> };
  /** True for reverse zones siteboot synthesised from the DHCP subnets. */
  readonly synthesized: boolean;
}

export interface Upstream {
  readonly address: string;
  readonly port: number;
}

export interface DnsSite {
  readonly enabled: boolean;
  /** Longest origin first, so the first zone that contains a name is its closest enclosing zone. */
  readonly zones: readonly Zone[];
  /** Empty: names outside the zones are REFUSED. */
  readonly forwarders: readonly Upstream[];
  /** Clients allowed to use forwarding (default: the DHCP subnets and loopback). */
  readonly forwardAllow: readonly Cidr[];
  readonly forwardTimeoutMs: number;
  readonly cacheEntries: number;
  /** Response-rate limiting of UDP answers, per client network and kind of answer (docs/dns.md). */
  readonly rateLimit: {
    /** Identical positive answers (same qname and qtype) per second; 0 turns RRL off. */
    readonly responsesPerSecond: number;
    /** NODATA / NXDOMAIN answers per second per zone; errors per second (absent: responsesPerSecond; 0: not limited). */
    readonly nodataPerSecond?: number;
    readonly nxdomainsPerSecond?: number;
    readonly errorsPerSecond?: number;
    /** Every Nth limited response is a truncated "slip" answer instead of a drop; 0 never. */
    readonly slip: number;
    /** Client networks that share limits (absent: /24 and /56). */
    readonly ipv4PrefixLength?: number;
    readonly ipv6PrefixLength?: number;
  };
  readonly tcp: { readonly idleTimeoutMs: number; readonly maxConnections: number };
}

// ---------------------------------------------------------------------------------------------
// NTP

export type NtpStratumMode =
  /** Follow the host clock's synchronisation state (chrony / systemd-timesyncd); unsynchronised → leap 3, stratum 16. */
  | { readonly mode: "auto" }
  /** Serve the host clock at this stratum when it is synchronised; unsynchronised → leap 3, stratum 16. */
  | { readonly mode: "fixed"; readonly stratum: number }
  /** Isolated lab: always serve the host clock at this stratum (chrony's `local stratum N`). */
  | { readonly mode: "local"; readonly stratum: number };

export interface NtpSite {
  readonly enabled: boolean;
  readonly stratum: NtpStratumMode;
  /** Reference ID to announce in local/fixed mode (up to 4 ASCII characters, e.g. "LOCL"). */
  readonly refid: string;
  /** Clients answered (default: the DHCP subnets and loopback). */
  readonly allow: readonly Cidr[];
  readonly rateLimit: {
    readonly enabled: boolean;
    /** Minimum mean interval between replies to one client, as log2 seconds (chrony's `interval`). */
    readonly interval: number;
    /** Replies a client may burst before limiting (chrony's `burst`). */
    readonly burst: number;
    /** 1/leak of limited requests still get answered (chrony's `leak`; 0 → none). */
    readonly leak: number;
    /** Answer limited clients with a KoD RATE packet instead of silence. */
    readonly kod: boolean;
  };
  /** Upper bound on clients tracked for rate limiting. */
  readonly maxClients: number;
}

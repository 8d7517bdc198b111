import * as z from "zod";
import { DURATION_PATTERN } from "./durations.js";
import { IPV4_EXPECTED } from "./ipv4.js";
import { isolatedLabSchema, profilesSchema } from "./profiles/schema.js";

/**
 * The structure of site.yaml. zod checks shapes and scalar forms (and gives the JSON Schema that
 * editors use); the meaning (pools inside subnets, records, option values) is checked afterwards in
 * validate-*.ts with source positions.
 */

/** One decimal part of an IPv4 address: 0 to 255, no leading zero. */
const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4 = `^${OCTET}(\\.${OCTET}){3}$`;
const MAC = "^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$";

const ipv4 = z.string({ error: IPV4_EXPECTED }).regex(new RegExp(IPV4), { error: IPV4_EXPECTED });
const interfaceName = z
  .string({ error: "expected a network interface name" })
  .regex(/^[A-Za-z0-9_.:@-]{1,15}$/, { error: "expected a network interface name" });
const port = z
  .number({ error: "expected a port number from 0 to 65535" })
  .int({ error: "expected a whole port number" })
  .min(0, { error: "expected a port number from 0 to 65535" })
  .max(65535, { error: "expected a port number from 0 to 65535" });
const duration = z.union(
  [z.number().nonnegative(), z.string().regex(new RegExp(DURATION_PATTERN)), z.string().regex(/^\d+$/)],
  { error: 'expected a duration such as "8h", "30m", "45s", "1h30m" or a number of seconds' },
);
const name = z.string({ error: "expected a DNS name" }).min(1, { error: "expected a DNS name" });
const optionMap = z
  .record(z.string(), z.unknown())
  .describe("DHCP options by well-known name or by code (1-254); values typed per option");

export const listenSchema = z
  .strictObject({
    address: ipv4.describe('This box\'s address on the phone LAN: what "self" means everywhere'),
    bind: z
      .array(z.string({ error: "expected an IP address" }))
      .optional()
      .describe("Addresses the DNS and NTP servers bind to (default: [address])"),
    interfaces: z
      .array(interfaceName)
      .default([])
      .describe("Interfaces DHCP is served on; no other interface is ever answered"),
    ports: z
      .strictObject({
        dns: port.default(53),
        dhcp: port.default(67),
        ntp: port.default(123),
        control: port.default(8053),
        tftp: port.default(69),
        http: port.default(80),
        https: port.default(443),
      })
      .prefault({}),
  })
  .describe("Where this box listens");

const globCase = z
  .enum(["insensitive", "exact"])
  .optional()
  .describe("Glob matching: case-insensitive by default; exact compares case as sent");

const vendorClassMatch = z.union(
  [
    z.strictObject({
      "vendor-class": z.string().min(1).describe("Glob (* and ?) on the text form of option 60"),
      case: globCase,
    }),
    z.strictObject({
      enterprise: z
        .number()
        .int()
        .min(0)
        .max(4294967295)
        .describe("RFC 3925 enterprise number (Polycom: 13885)"),
      data: z.string().min(1).optional().describe("Glob on one of the enterprise's data items"),
      case: globCase,
    }),
  ],
  {
    error:
      'expected { vendor-class: "glob" } or { enterprise: number, data?: "glob" }, each with an optional case: exact',
  },
);

export const subnetSchema = z.strictObject({
  subnet: z
    .string({ error: "expected an IPv4 network a.b.c.d/prefix" })
    .describe("The network, a.b.c.d/prefix"),
  interface: interfaceName
    .optional()
    .describe("Interface this subnet is served on directly (absent: relayed only)"),
  server: ipv4
    .optional()
    .describe(
      "Server identifier for this subnet when listen.address is not inside it (this box's address there)",
    ),
  router: ipv4.optional().describe("Default gateway (option 3)"),
  pools: z
    .array(z.string({ error: 'expected an address range "first-last"' }))
    .default([])
    .describe('Dynamic address ranges, "first-last"'),
  leaseTime: duration.optional(),
  renewTime: duration.optional().describe("T1 (option 58); default 50 % of the lease time"),
  rebindTime: duration.optional().describe("T2 (option 59); default 87.5 % of the lease time"),
  options: optionMap.optional(),
});

export const classSchema = z.strictObject({
  name: z.string().min(1),
  match: vendorClassMatch,
  options: optionMap.default({}),
});

/** Values a provisioning template can use, by name (a reservation's and the site's alike). */
const varRecord = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const hostSchema = z.strictObject({
  name: z.string().min(1).optional().describe("Host name; sent as option 12 unless options set host-name"),
  mac: z
    .string()
    .regex(new RegExp(MAC), { error: "expected a MAC address such as 00:04:f2:00:00:01" })
    .optional(),
  "client-id": z
    .string()
    .regex(/^([0-9A-Fa-f]{2}[:-]?)+$/, {
      error: "expected the client identifier (option 61) in hex, e.g. 01:00:04:f2:00:00:01",
    })
    .optional(),
  address: ipv4.optional().describe("Reserved address"),
  options: optionMap.optional(),
  vars: varRecord
    .optional()
    .describe("User variables for this phone's provisioning templates (extension, SIP user, ...)"),
});

export const dhcpSchema = z.strictObject({
  enabled: z.boolean().default(true),
  leaseTime: duration.default("8h"),
  offerHold: duration.default("30s").describe("How long an OFFER reserves its address"),
  declineProbation: duration.default("10m").describe("Quarantine for addresses a client DECLINEd"),
  authoritative: z.boolean().default(true).describe("NAK requests for unknown addresses in our subnets"),
  options: optionMap.default({}),
  subnets: z.array(subnetSchema).default([]),
  classes: z
    .array(classSchema)
    .default([])
    .describe("Matched on the vendor class (option 60); first match wins"),
  hosts: z.array(hostSchema).default([]).describe("Reservations by MAC or client identifier"),
  ddns: z
    .strictObject({
      zone: name.describe("Zone (one of dns.zones) the leases' host names are served in"),
      reverse: z.boolean().default(true).describe("Also serve the PTR in the reverse zone of the address"),
      ttl: duration.default("5m").describe("TTL of the A and PTR records of leases"),
    })
    .optional()
    .describe("Serve each lease's host name (option 12, option 81 or the reservation's name) in DNS"),
});

const recordLine = z
  .string({ error: "expected a record line: name [ttl] TYPE data" })
  .describe("Zone-file syntax: name [ttl] TYPE data (@ for the apex, self for this box)");

/** A per-second RRL allowance for one class of answer; 0 leaves that class unlimited. */
function perSecond(what: string, fallback: number) {
  return z
    .number()
    .int()
    .min(0, { error: "expected a number of answers per second, 0 or more" })
    .default(fallback)
    .describe(`${what}; 0: not limited`);
}
/** How much of a client's address RRL looks at: clients in one such network share their limits. */
function clientPrefix(family: string, bits: number, fallback: number) {
  const range = { error: `expected a prefix length from 0 to ${bits}` };
  return z
    .number()
    .int()
    .min(0, range)
    .max(bits, range)
    .default(fallback)
    .describe(`${family} clients in the same network of this prefix length share their limits`);
}
const SLIP = { error: "expected a number from 0 to 10 (every Nth limited answer slips; 0 never)" };

export const dnsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  ttl: duration.default("1h").describe("TTL of records that give none"),
  negativeTtl: duration.default("5m").describe("SOA minimum: how long resolvers cache NXDOMAIN/NODATA"),
  nameserver: name
    .optional()
    .describe("Name of this server in generated NS and SOA records (default siteboot.<dhcpDomain>)"),
  zones: z.record(z.string(), z.array(recordLine)).default({}),
  forward: z
    .array(z.string({ error: 'expected an upstream "address" or "address:port"' }))
    .default([])
    .describe("Upstream resolvers for names outside the zones; empty: REFUSED"),
  forwardAllow: z
    .array(z.string())
    .optional()
    .describe("Clients allowed to use forwarding (default: DHCP subnets and loopback)"),
  forwardTimeout: duration.default("2s"),
  cacheSize: z.number().int().min(0).default(10000),
  rateLimit: z
    .strictObject({
      responsesPerSecond: z
        .number()
        .int()
        .min(0)
        .default(1000)
        .describe(
          "Identical answers (same name and type) per second to one client network; 0 turns rate limiting off",
        ),
      nodataPerSecond: perSecond("NODATA answers per second per zone to one client network", 5000),
      nxdomainsPerSecond: perSecond("NXDOMAIN answers per second per zone to one client network", 5000),
      errorsPerSecond: perSecond(
        "REFUSED/FORMERR/SERVFAIL/NOTIMP answers per second to one client network",
        1000,
      ),
      slip: z
        .number()
        .int()
        .min(0, SLIP)
        .max(10, SLIP)
        .default(2)
        .describe("Every Nth limited answer is a truncated one (TC=1, retry over TCP); 0 never"),
      ipv4PrefixLength: clientPrefix("IPv4", 32, 24),
      ipv6PrefixLength: clientPrefix("IPv6", 128, 56),
    })
    .prefault({})
    .describe("Response-rate limiting of UDP answers (as NSD/BIND RRL); TCP is never limited"),
  tcp: z
    .strictObject({
      idleTimeout: duration.default("10s"),
      maxConnections: z.number().int().min(1).default(128),
    })
    .prefault({}),
});

const STRATUM = { error: 'expected "auto", "local" or a stratum from 1 to 15' };

export const ntpSchema = z.strictObject({
  enabled: z.boolean().default(true),
  stratum: z
    .union(
      [z.literal("auto"), z.literal("local"), z.number().int().min(1, STRATUM).max(15, STRATUM)],
      STRATUM,
    )
    .default("auto")
    .describe(
      "auto: follow the host clock; local: serve the host clock at localStratum; N: claim N when synchronised",
    ),
  localStratum: z.number().int().min(1).max(15).default(10),
  refid: z
    .string()
    .regex(/^[\x20-\x7e]{1,4}$/, { error: "expected 1 to 4 ASCII characters" })
    .default("LOCL"),
  allow: z.array(z.string()).optional().describe("Clients answered (default: DHCP subnets and loopback)"),
  rateLimit: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: z
        .number()
        .int()
        .min(-4)
        .max(12)
        .default(3)
        .describe("log2 seconds between replies per client"),
      burst: z.number().int().min(1).max(255).default(8),
      leak: z.number().int().min(0).max(4).default(2),
      kod: z.boolean().default(false).describe("Answer limited clients with a KoD RATE packet"),
    })
    .prefault({}),
  maxClients: z.number().int().min(16).default(10000),
  isolatedLab: isolatedLabSchema,
});

const templateVars = varRecord.default({}).describe("User variables for the provisioning templates");

export const provisioningSchema = z.strictObject({
  enabled: z.boolean().default(true),
  root: z.string().min(1).describe("Folder of files and templates served (relative: to site.yaml's folder)"),
  vars: templateVars,
  files: z
    .array(
      z.strictObject({
        path: z
          .string()
          .min(1)
          .describe('Requested path, with {mac} or $MA where the phone\'s MAC stands, e.g. "{mac}.cfg"'),
        template: z.string().min(1).describe("Mustache template under root, rendered per phone"),
        escape: z
          .enum(["xml", "none"])
          .optional()
          .describe("How {{values}} are escaped (default: xml when path or template ends .xml, else none)"),
      }),
    )
    .default([])
    .describe("Per-phone files rendered from templates when no file of that name exists"),
  tftp: z
    .strictObject({
      enabled: z.boolean().default(true),
      maxBlockSize: z.number().int().min(8).max(65464).default(1468).describe("Largest blksize agreed"),
      maxWindowSize: z.number().int().min(1).max(65535).default(16).describe("Largest windowsize agreed"),
      timeout: duration.default("1s").describe("Retransmission timeout when the client names none"),
      retries: z.number().int().min(0).max(20).default(5),
    })
    .prefault({}),
  http: z
    .strictObject({
      enabled: z.boolean().default(true),
      listing: z.boolean().default(false).describe("List folders (off: a folder is 404)"),
      https: z
        .strictObject({ cert: z.string().min(1), key: z.string().min(1) })
        .optional()
        .describe("Also serve HTTPS on listen.ports.https with this PEM certificate and key"),
    })
    .prefault({}),
});

export const siteFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    site: z.strictObject({
      name: z.string().min(1),
      sipDomain: name.describe("Right side of the phone sign-in address"),
      dhcpDomain: name.describe("DHCP option 15, the AD DNS domain"),
    }),
    listen: listenSchema,
    stateDir: z.string().min(1).default("/var/lib/siteboot").describe("Where the lease journal lives"),
    leases: z
      .strictObject({
        backend: z
          .enum(["file", "postgresql"])
          .default("file")
          .describe("file: the journal in stateDir; postgresql: a database several instances may share"),
        url: z.string().optional().describe("postgresql://user:password@host:port/database"),
        mode: z
          .enum(["active-active", "hot-standby"])
          .optional()
          .describe("Servers sharing the database: all answer (default), or one answers and the others wait"),
        pool: z
          .strictObject({
            max: z.number().int().min(1).max(100).default(4).describe("Connections for writes and reloads"),
            connectTimeout: duration.default("5s"),
            statementTimeout: duration.default("10s"),
            reconnectInterval: duration
              .default("1s")
              .describe(
                "First pause before connecting again (at start or after a lost connection), doubling up to 30 s",
              ),
          })
          .optional(),
      })
      .prefault({}),
    control: z
      .strictObject({
        enabled: z.boolean().default(true),
        address: z.string().default("127.0.0.1"),
        token: z
          .string()
          .optional()
          .describe("Required when address is not loopback: Bearer token, or the password of basic auth"),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
        events: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("debug"),
      })
      .prefault({}),
    dhcp: dhcpSchema.prefault({}),
    dns: dnsSchema.prefault({}),
    ntp: ntpSchema.prefault({}),
    profiles: profilesSchema.optional(),
    provisioning: provisioningSchema.optional(),
  })
  .describe("siteboot site configuration");

export type SiteFile = z.output<typeof siteFileSchema>;
export type SubnetFile = z.output<typeof subnetSchema>;
export type HostFile = z.output<typeof hostSchema>;
export type ClassFile = z.output<typeof classSchema>;
export type ProvisioningFile = z.output<typeof provisioningSchema>;

/** The JSON Schema editors use for completion (committed as config/site.schema.json). */
export function siteJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(siteFileSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}

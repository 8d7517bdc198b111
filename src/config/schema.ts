import * as z from "zod";
import { DURATION_PATTERN } from "./durations.js";

/**
 * The structure of site.yaml. zod checks shapes and scalar forms (and gives the JSON Schema that
 * editors use); the meaning (pools inside subnets, records, option values) is checked afterwards in
 * validate-*.ts with source positions.
 */

const IPV4 = "^(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}$";
const MAC = "^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$";

const ipv4 = z
  .string({ error: "expected an IPv4 address a.b.c.d (four decimal parts)" })
  .regex(new RegExp(IPV4), { error: "expected an IPv4 address a.b.c.d (four decimal parts)" });
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
      .array(z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, { error: "expected a network interface name" }))
      .default([])
      .describe("Interfaces DHCP is served on; no other interface is ever answered"),
    ports: z
      .strictObject({
        dns: port.default(53),
        dhcp: port.default(67),
        ntp: port.default(123),
        control: port.default(8053),
      })
      .prefault({}),
  })
  .describe("Where this box listens");

const vendorClassMatch = z.union(
  [
    z.strictObject({
      "vendor-class": z.string().min(1).describe("Glob (* and ?) on the text form of option 60"),
    }),
    z.strictObject({
      enterprise: z
        .number()
        .int()
        .min(0)
        .max(4294967295)
        .describe("RFC 3925 enterprise number (Polycom: 13885)"),
      data: z.string().min(1).optional().describe("Glob on one of the enterprise's data items"),
    }),
  ],
  { error: 'expected { vendor-class: "glob" } or { enterprise: number, data?: "glob" }' },
);

export const subnetSchema = z.strictObject({
  subnet: z
    .string({ error: "expected an IPv4 network a.b.c.d/prefix" })
    .describe("The network, a.b.c.d/prefix"),
  interface: z
    .string()
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
});

const recordLine = z
  .string({ error: "expected a record line: name [ttl] TYPE data" })
  .describe("Zone-file syntax: name [ttl] TYPE data (@ for the apex, self for this box)");

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
        .describe("Per client /24 (IPv6: /56); 0 turns the limit off"),
      slip: z
        .number()
        .int()
        .min(0)
        .default(2)
        .describe("Every Nth limited answer is a truncated one; 0 never"),
    })
    .prefault({}),
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
              .describe("Pause between attempts after a lost connection"),
          })
          .optional(),
      })
      .prefault({}),
    control: z
      .strictObject({
        enabled: z.boolean().default(true),
        address: z.string().default("127.0.0.1"),
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
  })
  .describe("siteboot site configuration");

export type SiteFile = z.output<typeof siteFileSchema>;
export type SubnetFile = z.output<typeof subnetSchema>;
export type HostFile = z.output<typeof hostSchema>;
export type ClassFile = z.output<typeof classSchema>;

/** The JSON Schema editors use for completion (committed as config/site.schema.json). */
export function siteJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(siteFileSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}

import * as z from "zod";

/**
 * The `profiles:` block of site.yaml: one line per vendor, each expanding into DHCP classes,
 * options and DNS records (see docs/profiles.md). Shapes only; meaning is checked in the
 * vendor modules with source positions.
 */

const host = z
  .union(
    [
      z.string().min(1),
      z.strictObject({
        name: z.string().min(1).optional(),
        address: z.string().min(1).optional(),
      }),
    ],
    { error: 'expected an address (or "self"), a name, or { name, address }' },
  )
  .describe('A host: an address or "self", a DNS name, or { name, address }; bare names are in dhcpDomain');

const url = z.string({ error: "expected a URL" }).min(1, { error: "expected a URL" });
const addresses = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: "expected an address or a list of addresses",
});
const vendorClass = z.string().min(1).optional().describe("Glob on option 60 (default: the vendor's own)");

export const lyncProfileSchema = z
  .strictObject({
    pool: host.describe("Front End pool: A record, _sipinternaltls._tcp, sip, ucupdates-r2, option 120"),
    edge: host.optional().describe("Access Edge: target of _sip._tls (default sip.<sipDomain>)"),
    webServices: z
      .union([
        z.string().min(1),
        z.strictObject({
          name: z.string().min(1).optional(),
          protocol: z.enum(["https", "http"]).optional(),
          port: z.number().int().min(1).max(65535).optional(),
          path: z.string().startsWith("/", { error: 'expected a path starting with "/"' }).optional(),
        }),
      ])
      .optional()
      .describe("Certificate provisioning web service of option 43 (default: the pool, https, 443)"),
    exchange: host.optional().describe("Exchange CAS: autodiscover.<sipDomain>"),
    ntp: host.optional().describe("Time source: _ntp._udp.<sipDomain> (default name ntp.<dhcpDomain>)"),
    dc: host
      .optional()
      .describe("Domain controller: its A record, the domain's A and the DC locator SRV records"),
    sipInternal: z.boolean().optional().describe("Also publish _sipinternal._tcp.<sipDomain> (TCP 5060)"),
    vendorClass: vendorClass,
  })
  .describe("OCS 2007 R2 / Lync: Polycom CX700 (Tanjay) and the Aries phones");

export const polycomProfileSchema = z.strictObject({
  provisioning: url.describe("Provisioning server URL: option 160, and 66 for older BootROMs"),
  vendorClass,
});

export const ciscoProfileSchema = z.strictObject({
  tftp: addresses.describe("TFTP server addresses: option 150 (and 66 unless server is given)"),
  server: z.string().min(1).optional().describe("Option 66 text (default: the first TFTP address)"),
  vendorClass,
});

export const yealinkProfileSchema = z.strictObject({
  provisioning: url.describe("Provisioning server URL: option 66"),
  acs: url.optional().describe("TR-069 ACS URL: option 43 sub-option 1"),
  customOption: z.number().int().min(128).max(254).optional().describe("Custom option carrying the URL too"),
  vendorClass,
});

export const snomProfileSchema = z.strictObject({
  provisioning: url.describe("Setting server URL: option 66, and tunnelled as 66 in option 43"),
  file: z.string().min(1).optional().describe("Settings file: option 67, and tunnelled as 67 in option 43"),
  vendorClass,
});

export const avayaProfileSchema = z.strictObject({
  callServer: addresses.describe("MCIPADD: call servers"),
  httpServer: addresses.optional().describe("HTTPSRVR: file servers"),
  option: z.number().int().min(128).max(254).optional().describe("Site specific option number (default 242)"),
  settings: z
    .record(
      z.string().regex(/^[A-Z][A-Z0-9_]*$/, { error: "expected a setting name in capitals, e.g. L2QVLAN" }),
      z.union([z.string(), z.number()]),
    )
    .optional()
    .describe("More NAME=value pairs, e.g. { L2Q: 1, L2QVLAN: 20 }"),
  vendorClass,
});

export const audiocodesProfileSchema = z.strictObject({
  provisioning: url.describe("Provisioning URL: options 160, 159 and 66"),
  vendorClass,
});

export const profilesSchema = z
  .strictObject({
    lync: lyncProfileSchema.optional(),
    polycom: polycomProfileSchema.optional(),
    cisco: ciscoProfileSchema.optional(),
    yealink: yealinkProfileSchema.optional(),
    snom: snomProfileSchema.optional(),
    avaya: avayaProfileSchema.optional(),
    audiocodes: audiocodesProfileSchema.optional(),
  })
  .describe(
    "Vendor profiles: each expands into DHCP classes, options and DNS records; explicit settings win",
  );

export type ProfilesFile = z.output<typeof profilesSchema>;
export type LyncProfileFile = z.output<typeof lyncProfileSchema>;
export type HostFile = z.output<typeof host>;

/** `ntp.isolatedLab`: true for the built-in time names, or the names to answer. */
export const isolatedLabSchema = z
  .union([z.boolean(), z.array(z.string().min(1)).min(1)], {
    error: "expected true, false or a list of time server names",
  })
  .default(false)
  .describe("Answer the time server names phones have built in with A self (isolated labs)");

import { loadSite } from "../config/load.js";

/**
 * `siteboot leases` and `siteboot timeline <mac>`: read the running appliance's control endpoint
 * (its address comes from the same site.yaml, or --control URL) and print readable tables.
 */
/** control.token of the site read by controlUrl (else $SITEBOOT_CONTROL_TOKEN, for --control URL). */
let siteToken: string | undefined;

export async function controlUrl(file: string, explicit: string | undefined): Promise<string> {
  if (explicit) return explicit.replace(/\/$/, "");
  const result = await loadSite(file);
  if (!result.ok)
    throw new Error(`${file} is not valid; run "siteboot check -c ${file}" (or give --control URL)`);
  const { address, port, token } = result.site.control;
  siteToken = token;
  const host = address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

async function getJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    const token = siteToken ?? (process.env.SITEBOOT_CONTROL_TOKEN || undefined);
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    response = await fetch(url, { signal: AbortSignal.timeout(5000), headers });
  } catch (error) {
    throw new Error(
      `cannot reach the appliance at ${url}: ${(error as Error).cause ?? (error as Error).message}; is "siteboot serve" running?`,
    );
  }
  if (response.status === 404) return undefined;
  if (response.status === 401) {
    throw new Error(
      `${url}: the endpoint needs control.token (set SITEBOOT_CONTROL_TOKEN with --control URL)`,
    );
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}

interface LeaseRow {
  address: string;
  mac: string;
  state: string;
  hostname?: string;
  vendorClass?: string;
  expiresAt: string;
}

export async function runLeases(base: string, out: (line: string) => void): Promise<number> {
  const leases = ((await getJson(`${base}/leases`)) ?? []) as LeaseRow[];
  if (leases.length === 0) {
    out("no leases");
    return 0;
  }
  out(
    table([
      ["ADDRESS", "MAC", "STATE", "EXPIRES", "HOSTNAME", "VENDOR CLASS"],
      ...leases.map((l) => [l.address, l.mac, l.state, l.expiresAt, l.hostname ?? "", l.vendorClass ?? ""]),
    ]),
  );
  return 0;
}

interface EntryRow {
  /** ISO 8601 (older appliances sent milliseconds since the epoch). */
  at: string | number;
  kind: string;
  summary: string;
  detail?: Record<string, unknown>;
}

export async function runTimeline(
  base: string,
  client: string,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const entries = (await getJson(`${base}/clients/${encodeURIComponent(client)}/timeline`)) as
    | EntryRow[]
    | undefined;
  if (entries === undefined) {
    err(
      `no client ${client} has been seen (siteboot timeline takes a MAC, or an IP for clients without a lease)`,
    );
    return 1;
  }
  out(
    table([
      ["TIME", "WHAT", "EVENT"],
      ...entries.map((e) => [new Date(e.at).toISOString(), e.kind.toUpperCase(), describeEntry(e)]),
    ]),
  );
  return 0;
}

/** Message type, server identifier and lease times: in every reply, so not worth a glance. */
const IN_EVERY_REPLY = new Set([53, 54, 51, 58, 59]);

/**
 * An entry's summary, and for a DHCP message what a phone's options problem turns on: its vendor
 * class, the options it asked for (55, in its order) and those the reply carried besides the ones
 * in every reply, e.g.
 * `DISCOVER → OFFER 198.51.100.100  vendor "Polycom-CX700"  asked 1,3,6,15,119,42,66,160  gave 1,3,6,15,42,66,119`.
 */
export function describeEntry(entry: Pick<EntryRow, "kind" | "summary" | "detail">): string {
  const detail = entry.detail ?? {};
  const parts = [entry.summary];
  if (entry.kind === "dhcp") {
    if (typeof detail.vendorClass === "string") parts.push(`vendor ${JSON.stringify(detail.vendorClass)}`);
    if (Array.isArray(detail.requested)) parts.push(`asked ${detail.requested.join(",")}`);
    if (Array.isArray(detail.replyOptions)) {
      const given = detail.replyOptions.filter((code) => !IN_EVERY_REPLY.has(code));
      if (given.length > 0) parts.push(`gave ${given.join(",")}`);
    }
    if (typeof detail.relay === "string") parts.push(`relay ${detail.relay}`);
  }
  return parts.join("  ");
}

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Site } from "../config/site.js";
import { Catalog, NO_PHONES, siteFacts } from "./catalog.js";
import type { ProvisioningSite } from "./provisioning-site.js";

/**
 * What `check` and `explain` say about provisioning: the servers, and which phone gets which file
 * (a file of its own on disk, else the first template whose path pattern is per-phone).
 */
export function provisioningSummary(site: Site): string[] {
  const p = site.provisioning;
  if (!p) return [];
  const servers = [
    p.tftp.enabled ? `TFTP port ${p.tftp.port}` : undefined,
    p.http.enabled ? `HTTP port ${p.http.port}` : undefined,
    p.http.https ? `HTTPS port ${p.http.https.port}` : undefined,
  ].filter(Boolean);
  const lines = [
    `# Provisioning ${p.enabled ? "enabled" : "disabled"}: ${p.root} over ${servers.join(", ") || "nothing"}`,
  ];
  for (const f of p.files) lines.push(`template ${f.pattern.text} ← ${f.template}`);
  for (const host of site.dhcp.hosts) {
    if (!host.mac) continue;
    lines.push(
      `phone ${host.mac}${host.name ? ` (${host.name})` : ""}: ${phoneFiles(p, host.mac).join(", ") || "no per-phone file"}`,
    );
  }
  return lines;
}

/** The per-phone names a phone is served, each with where its content comes from. */
function phoneFiles(p: ProvisioningSite, mac: string): string[] {
  return p.files
    .filter((f) => f.pattern.perPhone)
    .map((f) => {
      const name = f.pattern.nameFor(mac);
      return existsSync(join(p.root, name)) ? `${name} (file on disk)` : `${name} ← ${f.template}`;
    });
}

/** `explain --mac`: the URLs the phone can fetch its files from, and each rendered file. */
export async function explainProvisioning(site: Site, mac: string): Promise<string[]> {
  const p = site.provisioning;
  if (!p) return [];
  const facts = siteFacts(site, p);
  const catalog = new Catalog(site, p, NO_PHONES);
  const lines = ["", "provisioning (without a lease: lease values are empty here)"];
  for (const file of p.files.filter((f) => f.pattern.perPhone)) {
    const name = file.pattern.nameFor(mac);
    const urls = [
      p.tftp.enabled ? `${facts.tftpUrl}/${name}` : undefined,
      p.http.enabled ? `${facts.httpUrl}/${name}` : undefined,
    ];
    lines.push(`url      ${urls.filter(Boolean).join("  ")}`);
    const found = await catalog.lookup(name, { client: "", mac });
    if (found.kind === "file")
      lines.push(`file     ${found.path} (on disk, ${found.size} bytes; not a template)`);
    else if (found.kind === "rendered") {
      lines.push(
        `template ${found.template} (${site.file}:${file.source.line}:${file.source.col}), ${found.bytes.length} bytes:`,
      );
      lines.push(
        ...found.bytes
          .toString()
          .replace(/\n$/, "")
          .split("\n")
          .map((l) => `  | ${l}`),
      );
    } else lines.push(`error    ${found.kind}: ${"message" in found ? found.message : ""}`);
  }
  if (lines.length === 2) lines.push("no per-phone files (provisioning.files has no path with {mac} or $MA)");
  return lines;
}

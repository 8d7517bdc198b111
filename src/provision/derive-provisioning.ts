import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Diagnostic, PathSegment } from "../config/diagnostics.js";
import { parseDuration } from "../config/durations.js";
import type { ProvisioningFile, SiteFile } from "../config/schema.js";
import type { YamlSource } from "../config/yaml-source.js";
import { optionByName } from "../dhcp/options/table.js";
import { compilePattern } from "./mac-forms.js";
import { checkName } from "./path-guard.js";
import type { ProvisionedFile, ProvisioningSite } from "./provisioning-site.js";
import { selfScheme, takesSelf } from "./self-url.js";
import { isXmlName, type TemplateVars, templateError } from "./templates.js";

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAMPLE_MAC = "00:00:5e:00:53:01";

/**
 * The `provisioning:` section checked with positions: the root folder and every template exist,
 * every template parses, names stay inside the root, variable names can be used in a template.
 * Undefined when the section is absent.
 */
export function deriveProvisioning(
  source: YamlSource,
  file: SiteFile,
  bind: readonly string[],
  diagnostics: Diagnostic[],
): ProvisioningSite | undefined {
  const report = (severity: Diagnostic["severity"], path: PathSegment[], message: string, key = false) =>
    diagnostics.push(source.diagnostic(severity, path, message, { key }));
  const hostVars = new Map<string, TemplateVars>();
  file.dhcp.hosts.forEach((h, i) => {
    if (h.vars === undefined) return;
    const path = ["dhcp", "hosts", i, "vars"];
    if (!file.provisioning) {
      report(
        "warning",
        path,
        "vars are used only by provisioning templates, and there is no provisioning section",
      );
    }
    checkVarNames(h.vars, path, report);
    const mac = h.mac?.toLowerCase().replaceAll("-", ":");
    if (mac === undefined)
      report("warning", path, "vars need the reservation's mac: templates find phones by MAC");
    else hostVars.set(mac, Object.freeze({ ...h.vars }));
  });
  const p = file.provisioning;
  warnSelfWithoutServer(file, report);
  if (!p) return undefined;

  const base = dirname(resolve(source.file));
  const root = resolve(base, p.root);
  const rootIsFolder = isFolder(root);
  if (!rootIsFolder) report("error", ["provisioning", "root"], `${root} is not a folder`);
  checkVarNames(p.vars, ["provisioning", "vars"], report);

  const files = deriveFiles(p, root, rootIsFolder, report, source);
  const timeout = parseDuration(p.tftp.timeout) ?? 1;
  if (timeout < 1 || timeout > 255)
    report(
      "error",
      ["provisioning", "tftp", "timeout"],
      "the TFTP timeout must be 1 to 255 seconds (RFC 2349)",
    );
  if (!p.tftp.enabled && !p.http.enabled)
    report("warning", ["provisioning"], "both tftp and http are disabled: nothing is served");

  let https: { port: number; cert: string; key: string } | undefined;
  if (p.http.https) {
    const cert = resolve(base, p.http.https.cert);
    const key = resolve(base, p.http.https.key);
    const certPath = ["provisioning", "http", "https", "cert"];
    const certPem = readable(cert, certPath, report);
    const keyPem = readable(key, ["provisioning", "http", "https", "key"], report);
    if (certPem && keyPem && usableTls(certPem, keyPem, certPath, report))
      https = { port: file.listen.ports.https, cert, key };
  }

  return Object.freeze({
    enabled: p.enabled,
    root,
    vars: Object.freeze({ ...p.vars }),
    hostVars,
    files: Object.freeze(files),
    tftp: Object.freeze({
      enabled: p.tftp.enabled,
      port: file.listen.ports.tftp,
      maxBlockSize: p.tftp.maxBlockSize,
      maxWindowSize: p.tftp.maxWindowSize,
      timeoutMs: Math.round(timeout * 1000),
      retries: p.tftp.retries,
    }),
    http: Object.freeze({
      enabled: p.http.enabled,
      port: file.listen.ports.http,
      listing: p.http.listing,
      ...(https ? { https: Object.freeze(https) } : {}),
    }),
    bind,
  });
}

type Report = (severity: Diagnostic["severity"], path: PathSegment[], message: string, key?: boolean) => void;

function deriveFiles(
  p: ProvisioningFile,
  root: string,
  rootIsFolder: boolean,
  report: Report,
  source: YamlSource,
): ProvisionedFile[] {
  const out: ProvisionedFile[] = [];
  const seen = new Map<string, number>();
  p.files.forEach((f, i) => {
    const path: PathSegment[] = ["provisioning", "files", i];
    const pattern = compilePattern(f.path);
    const name = checkName(pattern.nameFor(SAMPLE_MAC));
    if (!name.ok) report("error", [...path, "path"], `not a path inside the root: ${name.message}`);
    const earlier = seen.get(f.path);
    if (earlier !== undefined)
      report(
        "warning",
        [...path, "path"],
        `provisioning.files[${earlier}] has the same path and is matched first`,
      );
    seen.set(f.path, i);
    const template = checkName(f.template);
    if (!template.ok) {
      report("error", [...path, "template"], `not a path inside the root: ${template.message}`);
      return;
    }
    if (rootIsFolder) {
      const full = resolve(root, template.relative);
      let text: string | undefined;
      try {
        text = readFileSync(full, "utf8");
      } catch (error) {
        report(
          "error",
          [...path, "template"],
          `cannot read ${full}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        );
      }
      const problem = text === undefined ? undefined : templateError(text);
      if (problem) report("error", [...path, "template"], `template does not parse: ${problem}`);
    }
    const xml = f.escape === undefined ? isXmlName(f.path) || isXmlName(f.template) : f.escape === "xml";
    out.push(Object.freeze({ pattern, template: template.relative, xml, source: source.at(path) }));
  });
  return out;
}

/** Options 66 and 160 (in dhcp.options) that name this box while it serves no such protocol. */
function warnSelfWithoutServer(file: SiteFile, report: Report): void {
  const p = file.provisioning;
  const serves = (scheme: string) =>
    p?.enabled === true &&
    (scheme === "tftp"
      ? p.tftp.enabled
      : scheme === "https"
        ? p.http.enabled && p.http.https !== undefined
        : p.http.enabled);
  for (const [key, value] of Object.entries(file.dhcp.options)) {
    // Keys as dhcp.options reads them: a code in digits or an option's name.
    const code = /^\d+$/.test(key) ? Number(key) : optionByName(key)?.code;
    if (code === undefined || !takesSelf(code) || typeof value !== "string") continue;
    const scheme = selfScheme(value);
    if (scheme && !serves(scheme))
      report(
        "warning",
        ["dhcp", "options", key],
        `points phones at this box over ${scheme.toUpperCase()}, which it does not serve (see provisioning)`,
      );
  }
}

function checkVarNames(vars: Record<string, unknown>, path: PathSegment[], report: Report): void {
  for (const key of Object.keys(vars)) {
    if (!VAR_NAME.test(key))
      report(
        "error",
        [...path, key],
        `"${key}" cannot be used in a template: letters, digits and _ only`,
        true,
      );
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readable(path: string, at: PathSegment[], report: Report): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    report("error", at, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    return undefined;
  }
}

/**
 * The pair as HTTPS will load it: PEM that parses and a key that belongs to the certificate, so
 * `check` refuses what a start would fail on. node:tls is loaded only for a site with HTTPS.
 */
function usableTls(cert: Buffer, key: Buffer, at: PathSegment[], report: Report): boolean {
  try {
    process.getBuiltinModule("node:tls").createSecureContext({ cert, key });
    // OpenSSL keeps a key of another algorithm than the certificate's without complaint.
    const { X509Certificate, createPrivateKey } = process.getBuiltinModule("node:crypto");
    if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
      report("error", at, "the key is not the certificate's (key values mismatch)");
      return false;
    }
    return true;
  } catch (error) {
    report("error", at, `the certificate and key cannot serve HTTPS: ${(error as Error).message}`);
    return false;
  }
}

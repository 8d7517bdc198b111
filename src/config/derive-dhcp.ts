import { deriveClass } from "./dhcp/classes.js";
import { type DeriveContext, leaseSeconds, seconds } from "./dhcp/context.js";
import { deriveHosts } from "./dhcp/hosts.js";
import { addDerived, deriveOptions } from "./dhcp/options.js";
import { checkPoolOverlaps, checkSubnetOverlaps } from "./dhcp/overlaps.js";
import { deriveSubnet } from "./dhcp/subnets.js";
import type { Diagnostic, PathSegment } from "./diagnostics.js";
import { mergeProfileClasses, type ProfileExpansion } from "./profiles/expand.js";
import type { SiteFile } from "./schema.js";
import type { DhcpClass, DhcpSite, DhcpSubnet } from "./site.js";
import type { YamlSource } from "./yaml-source.js";

export function deriveDhcp(
  source: YamlSource,
  file: SiteFile,
  self: number,
  diagnostics: Diagnostic[],
  profiles?: ProfileExpansion,
): DhcpSite {
  const ctx: DeriveContext = { source, diagnostics, self, ports: file.listen.ports };
  const d = file.dhcp;
  const error = (path: PathSegment[], message: string, key = false) =>
    diagnostics.push(source.diagnostic("error", path, message, { key }));

  const globalOptions = new Map(deriveOptions(ctx, d.options, ["dhcp", "options"], "global"));
  if (!globalOptions.has(15)) {
    // The DHCP domain is option 15 unless the file says otherwise (the CX700 builds DNS names from it).
    addDerived(ctx, globalOptions, 15, file.site.dhcpDomain, ["site", "dhcpDomain"], "global");
  }

  const leaseTime = leaseSeconds(ctx, d.leaseTime, ["dhcp", "leaseTime"]) ?? 28800;
  const subnets: DhcpSubnet[] = [];
  d.subnets.forEach((s, index) => {
    const subnet = deriveSubnet(ctx, file, s, index, leaseTime);
    if (subnet) subnets.push(subnet);
  });
  checkSubnetOverlaps(ctx, subnets);
  checkPoolOverlaps(ctx, subnets);
  file.listen.interfaces.forEach((name, i) => {
    if (d.enabled && !subnets.some((s) => s.interface === name)) {
      diagnostics.push(
        source.diagnostic(
          "warning",
          ["listen", "interfaces", i],
          `no DHCP subnet is served on interface ${name}`,
        ),
      );
    }
  });

  const classes: DhcpClass[] = [];
  const classNames = new Set<string>();
  d.classes.forEach((c, index) => {
    const path: PathSegment[] = ["dhcp", "classes", index];
    if (classNames.has(c.name)) error([...path, "name"], `a class named "${c.name}" is defined twice`);
    classNames.add(c.name);
    classes.push(deriveClass(ctx, c, path));
  });

  // A subnet already refused would make every reservation in it look misplaced.
  const hosts = deriveHosts(ctx, d.hosts, subnets.length === d.subnets.length ? subnets : undefined);
  if (d.enabled && d.subnets.length === 0 && file.listen.interfaces.length > 0) {
    error(
      ["dhcp", "subnets"],
      "DHCP is enabled with interfaces to serve but no subnet; add one or set dhcp.enabled: false",
    );
  }

  return Object.freeze({
    enabled: d.enabled,
    subnets: Object.freeze(subnets),
    classes: Object.freeze(mergeProfileClasses(classes, profiles)),
    hosts: Object.freeze(hosts),
    options: globalOptions,
    offerHoldSeconds: seconds(ctx, d.offerHold, ["dhcp", "offerHold"]) ?? 30,
    declineProbationSeconds: seconds(ctx, d.declineProbation, ["dhcp", "declineProbation"]) ?? 600,
    authoritative: d.authoritative,
  });
}

import type { PathSegment } from "../diagnostics.js";
import { type Host, hostName, RecordList, resolveHost } from "./hosts.js";
import type { LyncProfileFile } from "./schema.js";
import type { ProfileClass, ProfileContext, ProfileOutput } from "./types.js";

/** Option 43 defaults of Lync's certificate provisioning service (DHCPUtil's defaults). */
export const LYNC_WEB_DEFAULTS = {
  protocol: "https",
  port: 443,
  path: "/CertProv/CertProvisioningService.svc",
};
export const LYNC_VENDOR_CLASS = "MS-UC-Client";

/**
 * OCS 2007 R2 / Lync: the record set of the CX700 deployment guide's Step 1.2 table and the
 * sign-in sequence (SIP domain S, DHCP domain D):
 *   pool  → pool A, _sipinternaltls._tcp.S SRV 0 0 5061 pool, sip.S A, ucupdates-r2.D A
 *   edge  → _sip._tls.S SRV 0 0 443 edge (default sip.S), edge A
 *   exchange → autodiscover.S A
 *   ntp   → _ntp._udp.S SRV 0 0 123 ntp (default ntp.D), its A
 *   dc    → dc A, D A (sign-in step 14), _ldap._tcp.dc._msdcs.D and _kerberos._tcp.dc._msdcs.D SRV
 * and, for vendor class MS-UC-Client, option 43 (sub-options 1-5 of the certificate provisioning
 * service) and option 120 (the pool as SIP server).
 */
export function expandLync(ctx: ProfileContext, file: LyncProfileFile): ProfileOutput {
  const at = (key: string): PathSegment[] => [...ctx.path, key];
  const S = ctx.sipDomain;
  const D = ctx.dhcpDomain;
  const list = new RecordList(ctx);

  const pool = resolveHost(ctx, file.pool, at("pool"), `pool.${D}`);
  if (pool) {
    list.addHost(pool);
    list.addSrv(`_sipinternaltls._tcp.${S}`, 0, 0, 5061, pool);
    if (file.sipInternal) list.addSrv(`_sipinternal._tcp.${S}`, 0, 0, 5060, pool, at("sipInternal"));
    list.addAlias(`ucupdates-r2.${D}`, pool);
  }
  const edge = file.edge === undefined ? undefined : resolveHost(ctx, file.edge, at("edge"), `sip.${S}`);
  // Inside the lab, sip.S is the pool (the guide's internal zone) unless the edge takes that name.
  if (pool && edge?.name !== `sip.${S}`) list.addAlias(`sip.${S}`, pool);
  if (edge) list.addHost(edge);
  const tls: Host | undefined = edge ?? (pool ? { name: `sip.${S}`, path: pool.path } : undefined);
  if (tls) list.addSrv(`_sip._tls.${S}`, 0, 0, 443, tls);

  if (file.exchange !== undefined) {
    const exchange = resolveHost(ctx, file.exchange, at("exchange"), `autodiscover.${S}`);
    if (exchange) {
      list.addHost(exchange);
      list.addAlias(`autodiscover.${S}`, exchange);
    }
  }
  if (file.ntp !== undefined) {
    const ntp = resolveHost(ctx, file.ntp, at("ntp"), `ntp.${D}`);
    if (ntp) {
      list.addHost(ntp);
      list.addSrv(`_ntp._udp.${S}`, 0, 0, 123, ntp);
    }
  }
  if (file.dc !== undefined) {
    const dc = resolveHost(ctx, file.dc, at("dc"), `dc.${D}`);
    if (dc) {
      list.addAlias(D, dc);
      list.addHost(dc);
      list.addSrv(`_ldap._tcp.dc._msdcs.${D}`, 0, 100, 389, dc);
      list.addSrv(`_kerberos._tcp.dc._msdcs.${D}`, 0, 100, 88, dc);
    }
  }

  const classes: ProfileClass[] = [];
  if (pool) {
    const web = webServices(ctx, file, pool);
    const webPath = file.webServices === undefined ? pool.path : at("webServices");
    classes.push({
      name: "lync",
      match: { kind: "glob", pattern: file.vendorClass ?? LYNC_VENDOR_CLASS },
      path: file.vendorClass === undefined ? ctx.path : at("vendorClass"),
      options: [
        {
          code: 43,
          value: {
            1: LYNC_VENDOR_CLASS,
            2: web.protocol,
            3: web.name,
            4: String(web.port),
            5: web.path,
          },
          path: webPath,
        },
        { code: 120, value: [pool.name], path: pool.path },
      ],
    });
  }
  return { records: list.records, classes };
}

function webServices(ctx: ProfileContext, file: LyncProfileFile, pool: Host) {
  const given = typeof file.webServices === "string" ? { name: file.webServices } : (file.webServices ?? {});
  let name = pool.name;
  if (given.name !== undefined) {
    const checked = hostName(ctx, given.name);
    if (checked.ok) name = checked.name;
    else
      ctx.error(
        typeof file.webServices === "string"
          ? [...ctx.path, "webServices"]
          : [...ctx.path, "webServices", "name"],
        checked.error,
      );
  }
  return {
    name,
    protocol: given.protocol ?? LYNC_WEB_DEFAULTS.protocol,
    port: given.port ?? LYNC_WEB_DEFAULTS.port,
    path: given.path ?? LYNC_WEB_DEFAULTS.path,
  };
}

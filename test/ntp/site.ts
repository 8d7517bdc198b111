/** A minimal Site for NTP tests: only `listen` and `ntp` matter; DHCP and DNS are disabled. */
import { LOOPBACK } from "../../src/config/ipv4.js";
import type { NtpSite, Site } from "../../src/config/site.js";

export function ntpTestSite(
  ntp: Partial<NtpSite> = {},
  listen: { bind?: readonly string[]; port?: number } = {},
): Site {
  return {
    name: "ntp-test",
    sipDomain: "fabrikam.com",
    dhcpDomain: "contoso.com",
    file: "/dev/null",
    listen: {
      address: "127.0.0.1",
      bind: listen.bind ?? ["127.0.0.1"],
      interfaces: [],
      ports: { dns: 0, dhcp: 0, ntp: listen.port ?? 0, control: 0 },
    },
    dhcp: {
      enabled: false,
      subnets: [],
      classes: [],
      hosts: [],
      options: new Map(),
      offerHoldSeconds: 30,
      declineProbationSeconds: 600,
      authoritative: true,
    },
    dns: {
      enabled: false,
      zones: [],
      forwarders: [],
      forwardAllow: [LOOPBACK],
      forwardTimeoutMs: 2000,
      cacheEntries: 0,
      rateLimit: { responsesPerSecond: 0, slip: 0 },
      tcp: { idleTimeoutMs: 10_000, maxConnections: 1 },
    },
    ntp: {
      enabled: true,
      stratum: { mode: "local", stratum: 10 },
      refid: "LOCL",
      allow: [LOOPBACK],
      rateLimit: { enabled: false, interval: 3, burst: 8, leak: 2, kod: false },
      maxClients: 1000,
      ...ntp,
    },
    control: { enabled: false, address: "127.0.0.1", port: 0 },
    log: { level: "silent", eventLevel: "silent" },
    stateDir: "/nonexistent",
  };
}

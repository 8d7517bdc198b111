import { formatIpv4, parseIpv4 } from "../config/ipv4.js";
import { ethernetKey } from "../dhcp/client-identity.js";
import type { Lease, LeaseStore } from "../dhcp/leases/lease-store.js";
import type { PhoneDirectory, PhoneLease } from "./catalog.js";

/** Phones as the lease store knows them: active, unexpired leases only. */
export function leasePhones(store: () => LeaseStore | undefined): PhoneDirectory {
  const live = (lease: Lease | undefined): PhoneLease | undefined =>
    lease && lease.state === "active" && lease.expiresAt > Date.now()
      ? {
          mac: lease.mac,
          address: formatIpv4(lease.address),
          ...(lease.hostname ? { hostname: lease.hostname } : {}),
          ...(lease.vendorClass ? { vendorClass: lease.vendorClass } : {}),
        }
      : undefined;
  return {
    byAddress(address) {
      const value = parseIpv4(address);
      return value === undefined ? undefined : live(store()?.byAddress(value));
    },
    byMac(mac) {
      const leases = store();
      // A phone without option 61 is indexed under its MAC: no copy of every lease per file.
      const indexed = leases?.byClient(ethernetKey(mac));
      const found = indexed?.mac === mac ? live(indexed) : undefined;
      if (found) return found;
      for (const lease of leases?.all() ?? []) {
        const phone = lease.mac === mac ? live(lease) : undefined;
        if (phone) return phone;
      }
      return undefined;
    },
  };
}

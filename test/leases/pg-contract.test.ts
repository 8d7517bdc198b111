import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";
import { describeLeaseStore } from "./describe-lease-store.js";
import { usePgCluster } from "./pg-databases.js";

/** The shared LeaseStore contract against a real PostgreSQL (a throwaway cluster). */

const pg = usePgCluster();

describeLeaseStore("postgresql", async () => {
  const url = await pg.freshDatabase();
  let current = new PgLeaseStore({ url });
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = new PgLeaseStore({ url });
      const { warnings } = await current.open();
      if (warnings.length > 0) throw new Error(`unexpected warnings: ${warnings.join("; ")}`);
      return current;
    },
    cleanup: async () => {
      await current.close();
    },
  };
});

import { afterAll, beforeAll } from "vitest";
import { type PgCluster, startPgCluster } from "./pg-cluster.js";

/**
 * One throwaway cluster per test file and a fresh database per test: `freshDatabase()` returns
 * its URL. Call at the top level of a test file.
 */
export function usePgCluster(): { cluster: () => PgCluster; freshDatabase: () => Promise<string> } {
  let cluster: PgCluster | undefined;
  let count = 0;
  beforeAll(async () => {
    cluster = await startPgCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });
  const current = () => {
    if (cluster === undefined) throw new Error("the PostgreSQL cluster is not running");
    return cluster;
  };
  return {
    cluster: current,
    freshDatabase: async () => {
      const name = `leases_${++count}`;
      await current().psql(`CREATE DATABASE ${name}`);
      return current().url.replace(/\/siteboot$/, `/${name}`);
    },
  };
}

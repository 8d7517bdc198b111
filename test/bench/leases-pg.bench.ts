/**
 * DHCPv4 4-way exchanges per second with the leases in PostgreSQL: perfdhcp against siteboot with
 * `leases: { backend: postgresql }` and against kea-dhcp4 with its pgsql lease database, in the
 * same run, on one throwaway PostgreSQL cluster (initdb in a temp folder, Unix socket only, fsync
 * on). Each fresh server gets a fresh database (Kea's created by kea-admin db-init). Everything
 * else (namespaces, CPU budget, warm-up, rates, rounds, the table) is the DHCP benchmark's; see
 * dhcp.bench.ts. PostgreSQL itself runs outside the server's CPU budget, for both alike.
 */
import { execFileSync } from "node:child_process";
import { type PgCluster, postgresBinDir, startPgCluster } from "../leases/pg-cluster.js";
import { compareWithKea } from "./dhcp.bench.js";

/** Kea's worker threads (0: Kea 2.2's default, single-threaded). */
const KEA_THREADS = Number(process.env.LEASES_PG_BENCH_KEA_THREADS ?? 4);

export async function run(): Promise<void> {
  if (postgresBinDir() === undefined) {
    console.log("skipped: needs PostgreSQL (apt-get install postgresql)");
    return;
  }
  let cluster: PgCluster | undefined;
  await compareWithKea({
    describe: () =>
      `siteboot: the built appliance, leases in PostgreSQL, each committed (synchronous_commit on) before its ACK, one statement per batch; kea-dhcp4 2.2: pgsql lease database, one commit per lease, ${KEA_THREADS > 0 ? `${KEA_THREADS} worker threads` : "single-threaded"}; same PostgreSQL cluster, same options in every reply`,
    async prepare() {
      cluster = await startPgCluster();
      const pg = cluster;
      const recreate = async (name: string) => {
        await pg.psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await pg.psql(`CREATE DATABASE ${name}`);
      };
      return {
        siteYaml: `\nleases:\n  backend: postgresql\n  url: ${pg.url.replace(/\/siteboot$/, "/siteboot_bench")}\n`,
        keaLeaseDatabase: {
          type: "postgresql",
          name: "kea_bench",
          host: pg.socketDir,
          port: pg.port,
          user: "postgres",
        },
        // Kea's own advice for a database backend: worker threads, so lease commits overlap.
        keaSettings:
          KEA_THREADS > 0
            ? {
                "multi-threading": {
                  "enable-multi-threading": true,
                  "thread-pool-size": KEA_THREADS,
                  "packet-queue-size": 64,
                },
              }
            : {},
        beforeSiteboot: () => recreate("siteboot_bench"),
        beforeKea: async () => {
          await recreate("kea_bench");
          execFileSync(
            "kea-admin",
            [
              "db-init",
              "pgsql",
              "-u",
              "postgres",
              "-n",
              "kea_bench",
              "-h",
              pg.socketDir,
              "-P",
              String(pg.port),
            ],
            { stdio: "ignore" },
          );
        },
        cleanup: async () => {
          await cluster?.destroy();
        },
      };
    },
  });
}

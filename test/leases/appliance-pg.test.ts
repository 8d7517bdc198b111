import { afterEach, describe, expect, it } from "vitest";
import { StartupError } from "../../src/appliance.js";
import { LoopbackAppliance, loopbackSiteText } from "../appliance/loopback-site.js";
import { usePgCluster } from "./pg-databases.js";

/**
 * The appliance with `leases: { backend: postgresql }` opens the database before any service
 * starts (so DHCP never binds in the root namespace here): a database that does not exist (or
 * refuses the role) is not a matter of waiting, and it refuses to start, naming it. Starting while
 * the database is down is test/ha/start-without-database.test.ts; serving from the database is
 * test/ha/real-clients.test.ts.
 */

const pg = usePgCluster();
let current: LoopbackAppliance | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
});

function siteWithLeases(url: string): string {
  const site = loopbackSiteText().replace("dhcp:\n  enabled: false\n", "dhcp:\n");
  return `${site}\nleases:\n  backend: postgresql\n  url: ${url}\n  pool: { connectTimeout: 1s }\n`;
}

describe("the appliance with its leases in PostgreSQL", () => {
  it("refuses to start when the database does not exist, naming it without the password", async () => {
    const url = pg
      .cluster()
      .url.replace("postgresql://postgres@", "postgresql://postgres:pw@")
      .replace(/\/siteboot$/, "/no_such_database");
    current = new LoopbackAppliance(siteWithLeases(url));
    const failure = await current.appliance.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StartupError);
    expect(String((failure as Error).message)).toMatch(
      /cannot use PostgreSQL postgresql:\/\/postgres:\*\*\*@.*\/no_such_database: .*\(3D000\)/,
    );
  });
});

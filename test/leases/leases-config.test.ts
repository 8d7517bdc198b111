import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { parseSite } from "../../src/config/load.js";
import { leaseStoreFor } from "../../src/dhcp/leases/lease-backend.js";
import { FileLeaseStore } from "../../src/dhcp/leases/lease-store.js";
import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";

/** The `leases:` block of site.yaml: backends, their settings, and every misuse at its position. */

const BASE = `site: { name: t, sipDomain: fabrikam.com, dhcpDomain: contoso.com }
listen: { address: 198.51.100.2 }
`;

function parse(text: string) {
  const result = parseSite(BASE + text, "t.yaml");
  return result.ok
    ? { site: result.site, errors: [] as string[] }
    : { site: undefined, errors: result.errors.map(formatDiagnostic) };
}

describe("leases: in site.yaml", () => {
  it("keeps the file journal when the block is absent", async () => {
    expect(parse("").site?.leases).toEqual({ backend: "file" });
    const { store, location } = await leaseStoreFor(parse("").site?.leases, "/tmp/x", () => {});
    expect(store).toBeInstanceOf(FileLeaseStore);
    expect(location).toBe("/tmp/x");
  });

  it("reads a PostgreSQL backend with its pool settings", async () => {
    const { site, errors } = parse(`leases:
  backend: postgresql
  url: postgresql://siteboot@db.lab:5432/leases
  mode: hot-standby
  pool: { max: 8, connectTimeout: 2s, statementTimeout: 500ms, reconnectInterval: 3s }
`);
    expect(errors).toEqual([]);
    expect(site?.leases).toEqual({
      backend: "postgresql",
      url: "postgresql://siteboot@db.lab:5432/leases",
      hotStandby: true,
      maxConnections: 8,
      connectTimeoutMs: 2000,
      statementTimeoutMs: 500,
      reconnectIntervalMs: 3000,
    });
    const { store, location } = await leaseStoreFor(site?.leases, "/tmp/x", () => {});
    expect(store).toBeInstanceOf(PgLeaseStore);
    expect(location).toBe("PostgreSQL postgresql://siteboot@db.lab:5432/leases");
  });

  it("applies the pool defaults", () => {
    const { site } = parse("leases: { backend: postgresql, url: 'postgres://u:pw@h/db' }\n");
    expect(site?.leases).toMatchObject({
      hotStandby: false,
      maxConnections: 4,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 10_000,
      reconnectIntervalMs: 1000,
    });
  });

  it.each([
    ["leases: { backend: postgresql }\n", "t.yaml:3:20: leases.backend: backend postgresql needs leases.url"],
    [
      "leases: { backend: postgresql, url: 'db.lab' }\n",
      't.yaml:3:37: leases.url: expected a URL starting with "postgresql://"',
    ],
    ["leases: { url: 'postgresql://h/db' }\n", "t.yaml:3:16: leases.url: used only with backend: postgresql"],
    ["leases: { pool: { max: 2 } }\n", "t.yaml:3:17: leases.pool: used only with backend: postgresql"],
    ["leases: { mode: hot-standby }\n", "t.yaml:3:17: leases.mode: used only with backend: postgresql"],
    [
      "leases: { backend: postgresql, url: 'postgresql://h/db', mode: standby }\n",
      "t.yaml:3:64: leases.mode:",
    ],
    ["leases: { backend: mysql }\n", "t.yaml:3:20: leases.backend: expected one of"],
    [
      "leases: { backend: postgresql, url: 'postgresql://h/db', pool: { max: 0 } }\n",
      "t.yaml:3:71: leases.pool.max:",
    ],
    [
      "leases: { backend: postgresql, url: 'postgresql://h/db', pool: { connectTimeout: 0 } }\n",
      "t.yaml:3:82: leases.pool.connectTimeout: expected a duration longer than zero",
    ],
    ["leases: { backend: postgresql, url: 'postgresql://h/db', pool: { size: 3 } }\n", "t.yaml:3:"],
  ])("reports %j at its position", (text, expected) => {
    const { errors } = parse(text);
    expect(errors.length, errors.join("\n")).toBe(1);
    expect(errors[0]).toContain(expected);
  });
});

/**
 * The PostgreSQL lease schema and its migrations. siteboot creates the tables itself and records
 * what it created in a version table; concurrent instances starting together serialise on an
 * advisory lock, and a database written by a newer siteboot is refused, never altered.
 */
import type { ClientBase } from "pg";
import { LeaseStoreError } from "./lease-store-error.js";

/** The schema version this siteboot writes. */
export const PG_SCHEMA_VERSION = 1;

/** The channel other instances' changes arrive on (LISTEN/NOTIFY). */
export const PG_LEASE_CHANNEL = "siteboot_lease4";

/** Any constant: the advisory lock instances hold while they check or migrate the schema. */
const MIGRATION_LOCK = 0x51_7e_b0_07;

/** Migration n takes the schema from version n-1 to n. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE SEQUENCE siteboot_lease4_version;
  CREATE TABLE siteboot_lease4 (
    address      bigint PRIMARY KEY CHECK (address BETWEEN 0 AND 4294967295),
    client_key   text NOT NULL,
    mac          text NOT NULL,
    hostname     text,
    vendor_class text,
    subnet       text NOT NULL,
    state        text NOT NULL CHECK (state IN ('active', 'released', 'expired', 'declined')),
    start_ms     bigint NOT NULL,
    expires_ms   bigint NOT NULL,
    -- Every write takes the next number: a cache keeps the version it saw to order changes.
    version      bigint NOT NULL DEFAULT nextval('siteboot_lease4_version')
  );
  CREATE INDEX siteboot_lease4_client ON siteboot_lease4 (client_key);
  -- Every committed change reaches the other instances' caches; the origin lets an instance skip
  -- its own changes (it already holds them).
  CREATE FUNCTION siteboot_lease4_notify() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE origin text := coalesce(current_setting('siteboot.origin', true), '');
  BEGIN
    IF TG_OP = 'DELETE' THEN
      PERFORM pg_notify('${PG_LEASE_CHANNEL}', json_build_object(
        'o', origin, 'a', OLD.address, 'v', nextval('siteboot_lease4_version'), 'd', true)::text);
      RETURN OLD;
    END IF;
    PERFORM pg_notify('${PG_LEASE_CHANNEL}', json_build_object(
      'o', origin, 'a', NEW.address, 'v', NEW.version, 'k', NEW.client_key, 'm', NEW.mac,
      'h', NEW.hostname, 'c', NEW.vendor_class, 'n', NEW.subnet, 's', NEW.state,
      't', NEW.start_ms, 'e', NEW.expires_ms)::text);
    RETURN NEW;
  END $$;
  CREATE TRIGGER siteboot_lease4_notify AFTER INSERT OR UPDATE OR DELETE ON siteboot_lease4
    FOR EACH ROW EXECUTE FUNCTION siteboot_lease4_notify();
  `,
];

/**
 * Creates or migrates the schema inside one transaction. Returns the version found before (0 for
 * an empty database).
 */
export async function migratePgSchema(client: ClientBase, where: string): Promise<number> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS siteboot_schema_version (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const found = await client.query<{ version: number | null }>(
      "SELECT max(version) AS version FROM siteboot_schema_version",
    );
    const before = found.rows[0]?.version ?? 0;
    if (before > PG_SCHEMA_VERSION) {
      throw new LeaseStoreError(
        "SITEBOOT_ERR_LEASES_NEWER_FORMAT",
        `lease store: ${where} holds lease schema version ${before}, this siteboot knows up to ${PG_SCHEMA_VERSION}; upgrade siteboot (the database is left untouched)`,
      );
    }
    for (let version = before + 1; version <= PG_SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1]!);
      await client.query("INSERT INTO siteboot_schema_version (version) VALUES ($1)", [version]);
    }
    await client.query("COMMIT");
    return before;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/**
 * One siteboot DHCP server as site.yaml configures it, leases included (`leases:` block), for the
 * HA tests with real clients: `node --import tsx serve-site.ts <site.yaml> <state dir>`. Runs in a
 * network namespace the test created; prints "ready" once serving, then one line per lease commit.
 */
import { readFileSync } from "node:fs";
import { parseSite } from "../../src/config/load.js";
import { DhcpService } from "../../src/dhcp/dhcp-service.js";
import { leaseStoreFor } from "../../src/dhcp/leases/lease-backend.js";

const [file, stateDir] = process.argv.slice(2);
if (file === undefined || stateDir === undefined)
  throw new Error("usage: serve-site.ts <site.yaml> <state dir>");
const loaded = parseSite(readFileSync(file, "utf8"), file);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const { store: leases } = await leaseStoreFor(loaded.site.leases, stateDir, (connected, detail) =>
  process.stdout.write(`${connected ? "reconnected" : "lost"}: ${detail}\n`),
);
await leases.open();
const service = new DhcpService(loaded.site, {
  leases,
  events: {
    emit(event) {
      if (event.type === "dhcp.lease" && event.action === "commit") {
        process.stdout.write(`commit ${event.address} ${event.mac}\n`);
      } else if (event.type === "service.error") {
        process.stdout.write(`error ${event.message} ${event.detail ?? ""}\n`);
      }
    },
  },
});
await service.start();
process.stdout.write("ready\n");

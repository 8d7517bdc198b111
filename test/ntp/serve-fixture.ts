/**
 * Runs the NTP service alone, for tests that need it in another process (inside a network
 * namespace, on port 123): `tsx test/ntp/serve-fixture.ts <bind> <port> [local|auto]`. Prints one
 * "listening <json>" line when bound and serves until SIGTERM/SIGINT.
 */
import { NtpService } from "../../src/ntp/ntp-service.js";
import { NO_EVENTS } from "../../src/observe/events.js";
import { ntpTestSite } from "./site.js";

const [bind = "127.0.0.1", portText = "0", mode = "local"] = process.argv.slice(2);
const site = ntpTestSite(
  {
    stratum: mode === "auto" ? { mode: "auto" } : { mode: "local", stratum: 10 },
    rateLimit: { enabled: false, interval: 3, burst: 8, leak: 2, kod: false },
  },
  { bind: [bind], port: Number(portText) },
);
const service = new NtpService(site, { events: NO_EVENTS });
await service.start();
process.stdout.write(`listening ${JSON.stringify(service.addresses())}\n`);
const shutdown = () => void service.stop().then(() => process.exit(0));
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

/**
 * Runs siteboot's DNS service alone for the benchmark: config/site.yaml on 127.0.0.1:<port>, rate
 * limiting off (as for the reference servers), events counted by one cheap subscriber.
 * Prints "READY <port>" once listening; exits on SIGTERM.
 */
import { loadSite } from "../../src/config/load.js";
import { DnsService } from "../../src/dns/dns-service.js";
import { EventBus, NO_EVENTS } from "../../src/observe/events.js";
import { EXAMPLE_SITE } from "./site-fixture.js";

const port = Number(process.argv[2] ?? 0);
const loaded = await loadSite(EXAMPLE_SITE);
if (!loaded.ok) throw new Error("config/site.yaml did not load");
const site = loaded.site;
const bus = new EventBus();
let queries = 0;
bus.subscribe((e) => {
  if (e.type === "dns.query") queries++;
});
const service = new DnsService(
  {
    ...site,
    listen: { ...site.listen, bind: ["127.0.0.1"], ports: { ...site.listen.ports, dns: port } },
    dns: { ...site.dns, rateLimit: { responsesPerSecond: 0, slip: 0 } },
  },
  { events: process.env.DNS_BENCH_EVENTS === "off" ? NO_EVENTS : bus },
);
await service.start();
console.log(`READY ${service.addresses().udp[0]!.port}`);
process.on("SIGTERM", () => {
  void service.stop().then(() => {
    console.error(`events: ${queries}`);
    process.exit(0);
  });
});

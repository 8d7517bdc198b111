/**
 * One siteboot DHCP server for the fault tests, in its own process so it can be killed with -9:
 * `node --import tsx server-child.ts <database url> <server port> <client port> [hot-standby]`. Its "LAN" is
 * loopback UDP: requests arrive on 127.0.0.1:<server port>, every reply goes to
 * 127.0.0.1:<client port> (the load generator). Prints "ready" once serving.
 */
import { createSocket } from "node:dgram";
import { DhcpService } from "../../src/dhcp/dhcp-service.js";
import { PgLeaseStore } from "../../src/dhcp/leases/pg-lease-store.js";
import { NO_EVENTS } from "../../src/observe/events.js";
import { buildSite, labSubnet } from "../dhcp/site-builder.js";

const [url, serverPortText, clientPortText, mode] = process.argv.slice(2);
if (url === undefined || serverPortText === undefined || clientPortText === undefined) {
  throw new Error("usage: server-child.ts <database url> <server port> <client port> [hot-standby]");
}
const clientPort = Number(clientPortText);
const store = new PgLeaseStore({
  url,
  reconnectIntervalMs: 100,
  connectTimeoutMs: 1000,
  onConnectionChange: (connected) => process.stdout.write(`${connected ? "reconnected" : "lost"}\n`),
  hotStandby: mode === "hot-standby",
  onRoleChange: (active) => process.stdout.write(`${active ? "active" : "standby"}\n`),
});
await store.open();
const site = buildSite({ subnets: [labSubnet({ pools: [["198.51.100.10", "198.51.100.250"]] })] });
const service = new DhcpService(site, {
  events: NO_EVENTS,
  leases: store,
  reclaimIntervalMs: 3_600_000,
  openSocket: (_iface, _port, onDatagrams, onError) => {
    const socket = createSocket("udp4");
    socket.on("message", (message) => onDatagrams([message]));
    socket.on("error", onError);
    socket.bind(Number(serverPortText), "127.0.0.1");
    return {
      send: (bytes, _address, _port, done) =>
        socket.send(bytes, clientPort, "127.0.0.1", (e) => done(e ?? undefined)),
      close: () => socket.close(),
    };
  },
});
await service.start();
process.stdout.write("ready\n");

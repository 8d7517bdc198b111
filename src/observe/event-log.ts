import type { Level, Logger } from "pino";
import type { LogLevel } from "../config/site.js";
import type { SitebootEvent } from "./events.js";

/**
 * Logs every event as one JSON line. Routine traffic (queries, DHCP messages, NTP requests) goes
 * at the configured event level; problems go at warn or error whatever that level is.
 */
export function eventLogger(log: Logger, eventLevel: () => LogLevel): (event: SitebootEvent) => void {
  return (event) => {
    const level = levelOf(event, eventLevel());
    if (level === "silent" || !log.isLevelEnabled(level)) return;
    const { type, ...fields } = event;
    log[level]({ event: type, ...fields }, summary(event));
  };
}

function levelOf(event: SitebootEvent, routine: LogLevel): Level | "silent" {
  switch (event.type) {
    case "service.error":
      return "error";
    case "dhcp.pool-exhausted":
      return "warn";
    case "dns.name":
      return event.action === "refuse" ? "warn" : "info";
    case "service.state":
      return event.state === "reload-failed" ? "error" : "info";
    case "leases.pg":
      // The lease store's connection changes are logged as they happen (the appliance's own
      // lines); at the event level they would be said twice.
      return routine;
    default:
      return routine;
  }
}

function summary(event: SitebootEvent): string {
  switch (event.type) {
    case "dhcp.message":
      return `dhcp ${event.message} from ${event.mac} → ${event.reply ?? "no reply"}${event.address ? ` ${event.address}` : ""}`;
    case "dhcp.lease":
      return `lease ${event.action} ${event.address} ${event.mac}`;
    case "dhcp.pool-exhausted":
      return `no free address in ${event.subnet} for ${event.mac}`;
    case "leases.pg":
      return `lease database ${event.action}${event.detail ? `: ${event.detail}` : ""}`;
    case "dns.query":
      return `dns ${event.qtype} ${event.name} from ${event.client} → ${event.rcode}`;
    case "dns.name":
      return `lease name ${event.action} ${event.name} → ${event.address} (${event.mac})${event.reason ? `: ${event.reason}` : ""}`;
    case "dns.rate-limited":
      return `dns rate limit (${event.action}) for ${event.client}`;
    case "ntp.request":
      return `ntp from ${event.client} → ${event.outcome}`;
    case "provisioning.fetch":
      return `${event.protocol} ${event.file} to ${event.client}${event.mac ? ` (${event.mac})` : ""} → ${event.result}, ${event.bytes} bytes`;
    case "service.error":
      return `${event.service}: ${event.message}`;
    case "service.state":
      return `${event.service} ${event.state}${event.detail ? `: ${event.detail}` : ""}`;
  }
}

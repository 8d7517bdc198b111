import type { SitebootEvent } from "./events.js";
import type { TimelineEntry } from "./timeline.js";

/** The text and detail of timeline entries, made once per shape and shared by entries that say the same. */

/**
 * What an entry says, apart from when. A phone repeats the same few exchanges and queries, so
 * entries that say the same thing share one shape, found by comparing the event's fields with the
 * event that made the shape (no key string per event), and a ring slot costs a time and a
 * reference. Text is made once per shape.
 */
export interface EntryShape {
  readonly kind: TimelineEntry["kind"];
  /** The event the shape was made from. */
  readonly source: SitebootEvent;
  readonly summary: string;
  readonly detail: Readonly<Record<string, unknown>>;
  /** A detail field that differs from entry to entry (a lease's end): kept in the ring, not here. */
  readonly valueField?: string;
}

/** Whether two events make the same timeline text and detail (times and lease ends aside). */
export function sameEntry(a: SitebootEvent, b: SitebootEvent): boolean {
  switch (b.type) {
    case "dhcp.message":
      return (
        a.type === "dhcp.message" &&
        a.message === b.message &&
        a.reply === b.reply &&
        a.address === b.address &&
        (b.reply !== null || a.replyReason === b.replyReason) &&
        a.vendorClass === b.vendorClass &&
        a.interface === b.interface &&
        a.relay === b.relay &&
        a.subnet === b.subnet &&
        sameCodes(a.requested, b.requested) &&
        sameCodes(a.replyOptions, b.replyOptions)
      );
    case "dhcp.lease":
      return a.type === "dhcp.lease" && a.action === b.action && a.address === b.address;
    case "dns.query":
      return (
        a.type === "dns.query" &&
        a.name === b.name &&
        a.qtype === b.qtype &&
        a.rcode === b.rcode &&
        a.answers === b.answers &&
        a.answer === b.answer &&
        a.source === b.source &&
        a.transport === b.transport &&
        a.truncated === b.truncated
      );
    case "ntp.request":
      return (
        a.type === "ntp.request" &&
        a.version === b.version &&
        a.outcome === b.outcome &&
        a.stratum === b.stratum &&
        a.leap === b.leap
      );
    case "dns.name":
      return (
        a.type === "dns.name" &&
        a.action === b.action &&
        a.name === b.name &&
        a.address === b.address &&
        a.reason === b.reason
      );
    case "provisioning.fetch":
      return (
        a.type === "provisioning.fetch" &&
        a.file === b.file &&
        a.result === b.result &&
        a.bytes === b.bytes &&
        a.protocol === b.protocol &&
        a.template === b.template &&
        a.detail === b.detail
      );
    default:
      return false;
  }
}

function sameCodes(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function makeShape(event: SitebootEvent): EntryShape {
  switch (event.type) {
    case "dhcp.message": {
      const reply =
        event.reply === null ? `no reply${event.replyReason ? ` (${event.replyReason})` : ""}` : event.reply;
      return {
        kind: "dhcp",
        source: event,
        summary: `${event.message} → ${reply}${event.address ? ` ${event.address}` : ""}`,
        detail: {
          vendorClass: event.vendorClass,
          requested: event.requested,
          replyOptions: event.replyOptions,
          interface: event.interface,
          relay: event.relay,
          subnet: event.subnet,
        },
      };
    }
    case "dhcp.lease":
      return {
        kind: "lease",
        source: event,
        summary: `lease ${event.action} ${event.address}`,
        detail: {},
        valueField: "expiresAt",
      };
    case "dns.query":
      return {
        kind: "dns",
        source: event,
        summary: `${event.qtype} ${event.name} → ${event.rcode}${event.answer ? ` ${event.answer}` : event.answers ? ` (${event.answers})` : ""}`,
        detail: {
          source: event.source,
          transport: event.transport,
          truncated: event.truncated,
          answers: event.answers,
          answer: event.answer,
        },
      };
    case "ntp.request":
      return {
        kind: "ntp",
        source: event,
        summary: `NTP v${event.version} → ${event.outcome}${event.stratum === undefined ? "" : ` stratum ${event.stratum}`}`,
        detail: { leap: event.leap },
      };
    case "dns.name":
      return {
        kind: "dns",
        source: event,
        summary:
          event.action === "refuse"
            ? `name ${event.name} refused${event.reason ? `: ${event.reason}` : ""}`
            : `name ${event.name} ${event.action === "add" ? "→" : "withdrawn from"} ${event.address}`,
        detail: { action: event.action, reason: event.reason },
      };
    case "provisioning.fetch":
      return {
        kind: "provisioning",
        source: event,
        summary: `${event.protocol.toUpperCase()} ${event.file} → ${event.result} (${event.bytes} bytes)`,
        detail: { template: event.template, detail: event.detail },
      };
    default:
      throw new Error(`no timeline entry for ${event.type}`);
  }
}

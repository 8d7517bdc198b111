import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { eventLogger } from "../../src/observe/event-log.js";
import type { SitebootEvent } from "../../src/observe/events.js";
import { createLogger } from "../../src/observe/log.js";
import { formatLogLine } from "../../src/observe/log-line.js";

/** A stream that collects what is written, and says it is (or is not) a terminal. */
function stream(isTTY: boolean): Writable & { isTTY: boolean; text(): string } {
  const chunks: string[] = [];
  const s = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(s, { isTTY, text: () => chunks.join("") });
}

const QUERY: SitebootEvent = {
  type: "dns.query",
  at: Date.parse("2026-03-01T10:00:00Z"),
  client: "198.51.100.100",
  transport: "udp",
  name: "sip.fabrikam.com",
  qtype: "A",
  rcode: "NOERROR",
  source: "authority",
  answers: 1,
  truncated: false,
  micros: 41.5,
};

const DISCOVER: SitebootEvent = {
  type: "dhcp.message",
  at: 0,
  mac: "00:04:f2:00:00:01",
  message: "DISCOVER",
  vendorClass: "Polycom-CX700",
  requested: [1, 3, 6, 15, 66],
  interface: "lab0",
  reply: null,
  replyReason: "pool 198.51.100.0/24 is full",
};

const ANSI = /\u001b\[[0-9;]*m/g;

function logEvents(destination: Writable & { isTTY: boolean }, events: SitebootEvent[]): string[] {
  const log = createLogger({ destination, level: "debug" });
  const toLog = eventLogger(log, () => "info");
  for (const event of events) toLog(event);
  log.info(
    { site: "contoso-lab", startupMs: { total: 80 }, codeCache: "used" },
    "siteboot serving contoso-lab",
  );
  return (destination as unknown as { text(): string }).text().split("\n").filter(Boolean);
}

describe("logs on a terminal", () => {
  it("are one line per entry: time, level, event, summary and the key fields the summary leaves out", () => {
    const lines = logEvents(stream(true), [QUERY, DISCOVER]).map((l) => l.replace(ANSI, ""));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}dns\.query +dns A sip\.fabrikam\.com from 198\.51\.100\.100 → NOERROR source=authority micros=41\.5$/,
    );
    expect(lines[1]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}dhcp\.message +dhcp DISCOVER from 00:04:f2:00:00:01 → no reply replyReason="pool 198\.51\.100\.0\/24 is full" interface=lab0 vendorClass=Polycom-CX700$/,
    );
    // Not an event: its short values, not its objects.
    expect(lines[2]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}siteboot serving contoso-lab site=contoso-lab codeCache=used$/,
    );
  });

  it("colour only the level, and not when NO_COLOR is set", () => {
    const record = { level: 50, time: "2026-03-01T10:00:00.000Z", msg: "dns: boom", event: "service.error" };
    expect(formatLogLine(record, true)).toContain("\u001b[31mERROR\u001b[39m");
    expect(formatLogLine(record, false)).not.toMatch(ANSI);
    const previous = process.env.NO_COLOR;
    process.env.NO_COLOR = "1";
    try {
      expect(logEvents(stream(true), [QUERY]).join("\n")).not.toMatch(ANSI);
    } finally {
      if (previous === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = previous;
    }
  });

  it("show the local time of day", () => {
    const at = new Date(2026, 2, 1, 7, 5, 9, 42);
    expect(formatLogLine({ level: 30, time: at.toISOString(), msg: "x" }, false)).toBe(
      "07:05:09.042 INFO  x",
    );
  });
});

describe("logs anywhere else", () => {
  it("are JSON lines with every field", () => {
    const lines = logEvents(stream(false), [QUERY]);
    expect(lines).toHaveLength(2);
    const query = JSON.parse(lines[0] as string);
    expect(query).toMatchObject({ event: "dns.query", name: "sip.fabrikam.com", micros: 41.5, level: 30 });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ startupMs: { total: 80 } });
  });

  it("can be asked for on a terminal too (pretty: false)", () => {
    const destination = stream(true);
    createLogger({ destination, pretty: false }).info({ codeCache: "used" }, "serving");
    expect(JSON.parse(destination.text())).toMatchObject({ msg: "serving", codeCache: "used" });
  });
});

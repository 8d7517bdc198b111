/**
 * One line per log entry for a person at a terminal: local time, level, event, the message (the
 * event's summary) and the few fields the message does not already say. Journald and log shippers
 * get the JSON lines instead (log.ts decides).
 */

const LEVELS: Readonly<Record<number, string>> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** ANSI colour per level: grey, grey, green, yellow, red, red. */
const COLOURS: Readonly<Record<number, string>> = {
  10: "90",
  20: "90",
  30: "32",
  40: "33",
  50: "31",
  60: "31",
};

/**
 * Per event, the fields worth a glance that its summary leaves out. Everything else stays in the
 * JSON form (run without a terminal, or under systemd, to get it).
 */
const EVENT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  "dhcp.message": ["replyReason", "interface", "relay", "vendorClass"],
  "dhcp.lease": [],
  "dhcp.pool-exhausted": [],
  "dns.query": ["source", "answer", "micros"],
  "dns.rate-limited": [],
  "ntp.request": ["reason", "stratum"],
  "service.error": [],
  "service.state": [],
};

/** pino's own fields and those every line shows anyway. */
const OWN_FIELDS = new Set(["level", "time", "pid", "hostname", "name", "msg", "event", "at"]);

/**
 * Formats one pino record (its JSON line, parsed) as one line, without the newline. A record
 * without an event (start-up, reload, shutdown messages) shows its short top-level values.
 */
export function formatLogLine(record: Readonly<Record<string, unknown>>, colour: boolean): string {
  const level = typeof record.level === "number" ? record.level : 30;
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const levelText = colour ? `\u001b[${COLOURS[level] ?? "0"}m${name}\u001b[39m` : name;
  const event = typeof record.event === "string" ? record.event : undefined;
  const keys =
    event === undefined ? Object.keys(record).filter((k) => !OWN_FIELDS.has(k)) : EVENT_FIELDS[event];
  const fields: string[] = [];
  for (const key of keys ?? []) {
    const text = shortValue(record[key]);
    if (text !== undefined) fields.push(`${key}=${text}`);
  }
  const parts = [clock(record.time), levelText];
  if (event !== undefined) parts.push(event.padEnd(17));
  parts.push(String(record.msg ?? ""));
  if (fields.length > 0) parts.push(fields.join(" "));
  return parts.join(" ");
}

/** Strings, numbers and booleans; objects and arrays only in the JSON form. */
function shortValue(value: unknown): string | undefined {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value !== "string" || value === "") return undefined;
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/** HH:MM:SS.mmm in local time, as a person compares it with a wall clock. */
function clock(time: unknown): string {
  const date = new Date(typeof time === "string" || typeof time === "number" ? time : Date.now());
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, "0")}`;
}

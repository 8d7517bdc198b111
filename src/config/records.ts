import ipaddr from "ipaddr.js";
import { resolveInZone } from "./dns-names.js";
import { parseDuration } from "./durations.js";
import { formatIpv4, parseIpv4 } from "./ipv4.js";
import type { RecordData, RecordType } from "./site.js";

/**
 * One record line in zone-file syntax: `name [ttl] [IN] TYPE data`. `@` is the zone apex, names
 * without a trailing dot are relative to the zone, and `self` (in A data) is this box's address.
 */
export interface ParsedRecord {
  readonly name: string;
  readonly ttl: number | undefined;
  readonly data: RecordData;
}

export type RecordParse =
  | { readonly ok: true; readonly record: ParsedRecord }
  | { readonly ok: false; readonly error: string };

export const RECORD_TYPES: readonly RecordType[] = [
  "A",
  "AAAA",
  "SRV",
  "CNAME",
  "PTR",
  "TXT",
  "NS",
  "SOA",
  "MX",
];

const SYNTAX = "expected: name [ttl] TYPE data, e.g. `sip A 198.51.100.20`";

export function parseRecordLine(line: string, origin: string, self: number): RecordParse {
  const tokens = tokenize(line);
  if ("error" in tokens) return { ok: false, error: tokens.error };
  const [owner, ...rest] = tokens.words;
  if (owner === undefined || rest.length === 0) return { ok: false, error: SYNTAX };
  const name = resolveInZone(owner.text, origin);
  if (!name.ok) return { ok: false, error: `owner name: ${name.error}` };

  let ttl: number | undefined;
  let i = 0;
  for (; i < 2 && i < rest.length; i++) {
    const word = rest[i]!;
    if (word.quoted) break;
    if (ttl === undefined && /^\d/.test(word.text)) {
      const seconds = parseDuration(word.text);
      if (seconds === undefined || !Number.isInteger(seconds) || seconds > 2147483647) {
        return { ok: false, error: `"${word.text}" is not a TTL (seconds, or a duration such as 1h)` };
      }
      ttl = seconds;
    } else if (word.text.toUpperCase() === "IN") {
      // The class is optional; only IN is served.
    } else {
      break;
    }
  }
  const typeWord = rest[i];
  if (!typeWord) return { ok: false, error: SYNTAX };
  const type = typeWord.text.toUpperCase() as RecordType;
  if (!RECORD_TYPES.includes(type)) {
    return {
      ok: false,
      error: `unsupported record type "${typeWord.text}"; expected one of ${RECORD_TYPES.join(", ")}`,
    };
  }
  const data = parseData(type, rest.slice(i + 1), origin, self);
  if ("error" in data) return { ok: false, error: `${type} data: ${data.error}` };
  return { ok: true, record: { name: name.name, ttl, data } };
}

interface Word {
  readonly text: string;
  readonly quoted: boolean;
}

function tokenize(line: string): { words: Word[] } | { error: string } {
  const words: Word[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === ";") break; // zone-file comment
    if (c === '"') {
      let text = "";
      i++;
      let closed = false;
      while (i < line.length) {
        const d = line[i]!;
        if (d === "\\" && i + 1 < line.length) {
          text += line[i + 1];
          i += 2;
        } else if (d === '"') {
          closed = true;
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      if (!closed) return { error: "a quoted string is not closed" };
      words.push({ text, quoted: true });
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== " " && line[j] !== "\t") j++;
    words.push({ text: line.slice(i, j), quoted: false });
    i = j;
  }
  return { words };
}

function parseData(
  type: RecordType,
  words: readonly Word[],
  origin: string,
  self: number,
): RecordData | { error: string } {
  const texts = words.map((w) => w.text);
  const expectCount = (n: number, form: string): string | undefined =>
    words.length === n
      ? undefined
      : `expected ${form}, got ${words.length} field${words.length === 1 ? "" : "s"}`;
  const target = (text: string | undefined, what: string): string | { error: string } => {
    if (text === undefined) return { error: `missing ${what}` };
    if (text === ".") return "";
    const resolved = resolveInZone(text, origin);
    return resolved.ok ? resolved.name : { error: `${what}: ${resolved.error}` };
  };
  const u16 = (text: string | undefined, what: string): number | { error: string } => {
    if (text === undefined || !/^\d+$/.test(text) || Number(text) > 65535) {
      return { error: `${what} must be a whole number from 0 to 65535` };
    }
    return Number(text);
  };
  const u32 = (text: string | undefined, what: string): number | { error: string } => {
    const seconds = text === undefined ? undefined : parseDuration(text);
    if (seconds === undefined || !Number.isInteger(seconds) || seconds > 4294967295) {
      return { error: `${what} must be a whole number (or a duration) up to 4294967295` };
    }
    return seconds;
  };
  switch (type) {
    case "A": {
      const bad = expectCount(1, "one IPv4 address");
      if (bad) return { error: bad };
      if (texts[0] === "self") return { type, address: formatIpv4(self) };
      const address = parseIpv4(texts[0] ?? "");
      if (address === undefined)
        return { error: `expected an IPv4 address a.b.c.d or "self", got "${texts[0]}"` };
      return { type, address: formatIpv4(address) };
    }
    case "AAAA": {
      const bad = expectCount(1, "one IPv6 address");
      if (bad) return { error: bad };
      const text = texts[0] ?? "";
      if (!ipaddr.IPv6.isValid(text) || text.includes("%"))
        return { error: `expected an IPv6 address, got "${text}"` };
      return { type, address: ipaddr.IPv6.parse(text).toString() };
    }
    case "SRV": {
      const bad = expectCount(4, "priority weight port target");
      if (bad) return { error: bad };
      const priority = u16(texts[0], "priority");
      const weight = u16(texts[1], "weight");
      const port = u16(texts[2], "port");
      const t = target(texts[3], "target");
      for (const v of [priority, weight, port, t]) if (typeof v === "object") return v;
      return {
        type,
        priority: priority as number,
        weight: weight as number,
        port: port as number,
        target: t as string,
      };
    }
    case "MX": {
      const bad = expectCount(2, "preference exchange");
      if (bad) return { error: bad };
      const preference = u16(texts[0], "preference");
      const exchange = target(texts[1], "exchange");
      for (const v of [preference, exchange]) if (typeof v === "object") return v;
      return { type, preference: preference as number, exchange: exchange as string };
    }
    case "CNAME":
    case "PTR": {
      const bad = expectCount(1, "one target name");
      if (bad) return { error: bad };
      const t = target(texts[0], "target");
      if (typeof t === "object") return t;
      if (t === "") return { error: "the target may not be the root" };
      return { type, target: t };
    }
    case "NS": {
      const bad = expectCount(1, "one name server host name");
      if (bad) return { error: bad };
      const t = target(texts[0], "host");
      if (typeof t === "object") return t;
      return { type, host: t };
    }
    case "TXT": {
      if (words.length === 0) return { error: 'expected one or more strings, e.g. "v=spf1 -all"' };
      for (const text of texts) {
        if (Buffer.byteLength(text) > 255)
          return { error: "each TXT string may hold at most 255 octets; split it in several quoted strings" };
      }
      return { type, strings: texts };
    }
    case "SOA": {
      const bad = expectCount(7, "mname rname serial refresh retry expire minimum");
      if (bad) return { error: bad };
      const mname = target(texts[0], "mname");
      const rname = target(texts[1], "rname");
      const serial = u32(texts[2], "serial");
      const refresh = u32(texts[3], "refresh");
      const retry = u32(texts[4], "retry");
      const expire = u32(texts[5], "expire");
      const minimum = u32(texts[6], "minimum");
      for (const v of [mname, rname, serial, refresh, retry, expire, minimum])
        if (typeof v === "object") return v;
      return {
        type,
        mname: mname as string,
        rname: rname as string,
        serial: serial as number,
        refresh: refresh as number,
        retry: retry as number,
        expire: expire as number,
        minimum: minimum as number,
      };
    }
  }
}

/** Record data in zone-file text form (names absolute with the trailing dot). */
/** The name a record points at (SRV/CNAME target, NS host, MX exchange); undefined for the others. */
export function recordTarget(data: RecordData): string | undefined {
  switch (data.type) {
    case "SRV":
    case "CNAME":
      return data.target;
    case "NS":
      return data.host;
    case "MX":
      return data.exchange;
    default:
      return undefined;
  }
}

export function formatRecordData(data: RecordData): string {
  const abs = (name: string) => `${name}.`;
  switch (data.type) {
    case "A":
    case "AAAA":
      return data.address;
    case "SRV":
      return `${data.priority} ${data.weight} ${data.port} ${abs(data.target)}`;
    case "MX":
      return `${data.preference} ${abs(data.exchange)}`;
    case "CNAME":
    case "PTR":
      return abs(data.target);
    case "NS":
      return abs(data.host);
    case "TXT":
      return data.strings.map((s) => JSON.stringify(s)).join(" ");
    case "SOA":
      return `${abs(data.mname)} ${abs(data.rname)} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
  }
}

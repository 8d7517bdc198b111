import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "../config/site.js";
import { formatLogLine } from "./log-line.js";

export type { Logger };

/** Where log lines go: a stream that may be a terminal. */
export type LogDestination = NodeJS.WritableStream & { readonly isTTY?: boolean };

/**
 * JSON lines for journald and log shippers; one readable line per entry when a person watches a
 * terminal. Written synchronously so nothing is lost when the process exits.
 */
export function createLogger(
  options: { level?: LogLevel; pretty?: boolean; destination?: LogDestination } = {},
): Logger {
  const base = {
    level: options.level ?? "info",
    name: "siteboot",
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const target: DestinationStream = options.destination ?? pino.destination({ dest: 1, sync: true });
  // A person reads a terminal; journald, files and pipes get JSON.
  const human = options.pretty ?? (options.destination ?? process.stdout).isTTY === true;
  if (!human) return pino(base, target);
  const colour = process.env.NO_COLOR === undefined || process.env.NO_COLOR === "";
  return pino(base, {
    write(line: string) {
      target.write(`${formatLogLine(JSON.parse(line) as Record<string, unknown>, colour)}\n`);
    },
  });
}

import { createRequire } from "node:module";
import pino, { type Logger } from "pino";
import type { LogLevel } from "../config/site.js";

export type { Logger };

/**
 * JSON lines for journald and log shippers; readable colour lines when a person watches a
 * terminal. Written synchronously so nothing is lost when the process exits.
 */
export function createLogger(
  options: { level?: LogLevel; pretty?: boolean; destination?: NodeJS.WritableStream } = {},
): Logger {
  const level = options.level ?? "info";
  const human = options.pretty ?? Boolean(process.stdout.isTTY);
  const base = {
    level,
    name: "siteboot",
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (human) {
    // Loaded only for a terminal: journald and start-up time do not pay for it.
    const pretty = createRequire(import.meta.url)("pino-pretty") as typeof import("pino-pretty");
    return pino(
      base,
      pretty({
        colorize: true,
        sync: true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname,name",
        destination: options.destination ?? 1,
      }),
    );
  }
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

import type { ProfileContext, ProfileOutput } from "./types.js";
import { checkListValue } from "./values.js";
import { serverList, vendorClasses } from "./vendors.js";

/** Avaya's default site specific option number (SSON) for 96x1 and J100 phones. */
export const AVAYA_SSON = 242;

/**
 * Avaya 96x1 / J100: one text option (SSON, 242 by default) of comma-separated NAME=value pairs,
 * `MCIPADD=<call servers>,HTTPSRVR=<file servers>[,more]`; lists inside a value are comma-separated
 * too, as Avaya's guides write them. Class "ccp.avaya.com" (the phones' option 60).
 */
export function expandAvaya(
  ctx: ProfileContext,
  file: {
    callServer: string | string[];
    httpServer?: string | string[] | undefined;
    option?: number | undefined;
    settings?: Record<string, string | number> | undefined;
    vendorClass?: string | undefined;
  },
): ProfileOutput {
  const servers = (key: "callServer" | "httpServer", value: string | string[]) =>
    serverList(ctx, value, [...ctx.path, key]).join(",");
  const pairs = [`MCIPADD=${servers("callServer", file.callServer)}`];
  if (file.httpServer !== undefined) pairs.push(`HTTPSRVR=${servers("httpServer", file.httpServer)}`);
  for (const [name, value] of Object.entries(file.settings ?? {})) {
    if (name === "MCIPADD" || name === "HTTPSRVR")
      ctx.error(
        [...ctx.path, "settings", name],
        `set ${name === "MCIPADD" ? "callServer" : "httpServer"} instead`,
      );
    else if (checkListValue(ctx, String(value), [...ctx.path, "settings", name]))
      pairs.push(`${name}=${value}`);
  }
  const code = file.option ?? AVAYA_SSON;
  const options = [{ code, value: pairs.join(","), type: "string", path: [...ctx.path, "callServer"] }];
  return {
    records: [],
    classes: vendorClasses(
      ctx,
      file.vendorClass,
      [["avaya", { kind: "glob", pattern: "ccp.avaya.com" }]],
      options,
    ),
  };
}

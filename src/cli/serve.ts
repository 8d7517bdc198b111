import { Appliance, StartupError } from "../appliance.js";
import { createLogger } from "../observe/log.js";
import { createNotifier } from "../observe/systemd-notify.js";

/** Shutdown must finish within systemd's patience and the operator's: 2 s at the most. */
const SHUTDOWN_LIMIT_MS = 1800;

/**
 * `siteboot serve [-c FILE]`: runs the appliance until SIGTERM/SIGINT; SIGHUP reloads.
 * Resolves with the exit code.
 */
export async function runServe(file: string, stateDir?: string): Promise<number> {
  const log = createLogger();
  const notifier = createNotifier(process.env, undefined, (message) => log.warn(message));
  const appliance = new Appliance({ file, log, notifier, ...(stateDir === undefined ? {} : { stateDir }) });
  try {
    await appliance.start();
  } catch (error) {
    const message = error instanceof StartupError ? error.message : ((error as Error).stack ?? String(error));
    log.fatal(`siteboot cannot start: ${message}`);
    notifier.close();
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping`);
      const limit = setTimeout(() => {
        log.error(`shutdown did not finish within ${SHUTDOWN_LIMIT_MS} ms; exiting`);
        resolve(1);
      }, SHUTDOWN_LIMIT_MS);
      limit.unref();
      appliance.stop().then(
        () => {
          clearTimeout(limit);
          notifier.close();
          log.info("stopped");
          resolve(0);
        },
        (error: unknown) => {
          clearTimeout(limit);
          log.error(`shutdown failed: ${(error as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      log.info("SIGHUP: reloading");
      void appliance.reload("SIGHUP");
    });
  });
}

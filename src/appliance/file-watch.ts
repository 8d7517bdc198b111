import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";

/** How long the file must stay unchanged before a reload: an editor's save is several events. */
const SETTLE_MS = 250;

export interface FileWatch {
  /** Stops watching and drops a reload that is still waiting to settle. */
  close(): void;
}

/**
 * Calls `changed` once the site file has settled after a change. Editors replace files rather than
 * write them in place, so this watches the folder and matches the name. When watching is not
 * possible it says so and leaves reloads to SIGHUP.
 */
export function watchSiteFile(file: string, log: Logger, changed: () => void): FileWatch {
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    watcher = watch(dirname(file), (_type, name) => {
      if (name !== null && name !== basename(file)) return;
      clearTimeout(timer);
      timer = setTimeout(changed, SETTLE_MS);
    });
    watcher.on("error", (error) => log.warn(`not watching ${file}: ${error.message}; reload with SIGHUP`));
  } catch (error) {
    log.warn(`not watching ${file}: ${(error as Error).message}; reload with SIGHUP`);
  }
  return {
    close() {
      watcher?.close();
      clearTimeout(timer);
    },
  };
}

import type { Site } from "../config/site.js";
import type { EventBus } from "../observe/events.js";
import type { ReloadResult } from "../observe/status-page/routes.js";

/** Reloads the status page lists. */
const RELOADS_KEPT = 10;

/** Reload counts as /status shows them. */
export interface ReloadCounts {
  ok: number;
  failed: number;
  last: undefined | { at: number; ok: boolean; errors?: string[] };
}

/**
 * What the reloads did: counts for /status, the last few for the status page, and an appliance
 * event for each.
 */
export class ReloadRecord {
  readonly counts: ReloadCounts = { ok: 0, failed: 0, last: undefined };
  /** The last reloads, oldest first. */
  readonly #history: ReloadResult[] = [];
  readonly #events: EventBus;

  constructor(events: EventBus) {
    this.#events = events;
  }

  history(): readonly ReloadResult[] {
    return this.#history;
  }

  succeeded(reason: string): void {
    this.counts.ok++;
    this.#remember(reason, { at: Date.now(), ok: true });
    this.#events.emit({
      type: "service.state",
      at: Date.now(),
      service: "appliance",
      state: "reloaded",
      detail: reason,
    });
  }

  /** The file was not valid: the previous site stays. */
  rejected(reason: string, errors: string[]): void {
    this.counts.failed++;
    this.#remember(reason, { at: Date.now(), ok: false, errors });
    this.#events.emit({
      type: "service.state",
      at: Date.now(),
      service: "appliance",
      state: "reload-failed",
      detail: `${errors.length} error(s); still serving the previous site`,
    });
  }

  /** Applying a valid site failed part-way. */
  failed(reason: string, message: string): void {
    this.counts.failed++;
    this.#remember(reason, { at: Date.now(), ok: false, errors: [message] });
    this.#events.emit({
      type: "service.error",
      at: Date.now(),
      service: "appliance",
      message: `reload failed: ${message}`,
    });
  }

  #remember(reason: string, last: NonNullable<ReloadCounts["last"]>): void {
    this.counts.last = last;
    this.#history.push({ ...last, reason });
    if (this.#history.length > RELOADS_KEPT) this.#history.shift();
  }
}

/**
 * Warnings for settings a reload reads but leaves until the next restart: the lease backend, and
 * the state directory unless the command line chose it.
 */
export function restartOnlyChanges(current: Site, next: Site, stateDirFixed: boolean): string[] {
  const warnings: string[] = [];
  if (JSON.stringify(next.leases) !== JSON.stringify(current.leases)) {
    warnings.push("leases settings changed: take effect at the next restart");
  }
  if (!stateDirFixed && next.stateDir !== current.stateDir) {
    warnings.push(`stateDir changed to ${next.stateDir}: takes effect at the next restart`);
  }
  return warnings;
}

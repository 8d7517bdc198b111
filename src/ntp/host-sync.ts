/**
 * The host clock's synchronisation state, read from the daemon that disciplines it: chronyd
 * (`chronyc -c tracking`) or systemd-timesyncd (`timedatectl`). Reading spawns a process, so it is
 * done in the background on a timer and the responder only ever looks at the cached snapshot.
 */
import type { LeapIndicator } from "./packet.js";
import type { Instant } from "./timestamp.js";

export interface HostSyncState {
  /** True when a daemon reports the clock synchronised to a source at stratum 1–15. */
  readonly synchronised: boolean;
  /** Where the state came from. */
  readonly source: "chrony" | "timesyncd" | "none" | "static";
  /** The stratum this host serves at: its upstream's stratum + 1. */
  readonly stratum: number;
  /** Reference ID of the upstream (its IPv4 address, or its kiss/refclock code). */
  readonly referenceId: number;
  /** When the host clock was last set from the upstream. */
  readonly referenceTime?: Instant;
  /** Round-trip delay to the primary reference, seconds. */
  readonly rootDelay: number;
  /** Dispersion to the primary reference when the state was read, seconds. */
  readonly rootDispersion: number;
  readonly leap: LeapIndicator;
  /** Wall-clock ms at which the state was read (dispersion grows from here). */
  readonly readAtMs: number;
  /** Why the clock counts as unsynchronised, for status output. */
  readonly detail?: string;
}

export interface HostSyncSource {
  /** The latest snapshot; never blocks, never spawns. */
  current(): HostSyncState;
  /** Reads once now and then keeps refreshing in the background. Resolves after the first read. */
  start(): Promise<void>;
  stop(): void;
}

export function unsynchronised(source: HostSyncState["source"], detail: string, readAtMs = 0): HostSyncState {
  return {
    synchronised: false,
    source,
    stratum: 16,
    referenceId: 0,
    rootDelay: 0,
    rootDispersion: 0,
    leap: 3,
    readAtMs,
    detail,
  };
}

/** A fixed state, for tests and for hosts where the operator vouches for the clock. */
export class StaticHostSync implements HostSyncSource {
  #state: HostSyncState;
  constructor(state: HostSyncState) {
    this.#state = state;
  }
  current(): HostSyncState {
    return this.#state;
  }
  set(state: HostSyncState): void {
    this.#state = state;
  }
  async start(): Promise<void> {}
  stop(): void {}
}

const CHRONY_LEAP: Record<string, LeapIndicator> = {
  Normal: 0,
  "Insert second": 1,
  "Delete second": 2,
  "Not synchronised": 3,
};

/**
 * Parses `chronyc -c tracking`: Ref ID (hex), ref name/IP, stratum, ref time (Unix s), system time,
 * last offset, RMS offset, frequency, residual freq, skew, root delay, root dispersion, update
 * interval, leap status. chronyd's stratum is already its upstream's + 1: the host serves at it.
 */
export function parseChronycTracking(text: string, readAtMs: number): HostSyncState {
  const line = text.split("\n").find((l) => l.trim().length > 0) ?? "";
  const f = line.trim().split(",");
  if (f.length < 14)
    return unsynchronised("chrony", `unexpected chronyc output: ${line.slice(0, 80)}`, readAtMs);
  const refId = Number.parseInt(f[0]!, 16);
  const stratum = Number(f[2]);
  const refTime = Number(f[3]);
  const rootDelay = Number(f[10]);
  const rootDispersion = Number(f[11]);
  const leap = CHRONY_LEAP[f[13]!.trim()];
  if (
    !Number.isFinite(refId) ||
    !Number.isInteger(stratum) ||
    !Number.isFinite(refTime) ||
    !Number.isFinite(rootDelay) ||
    !Number.isFinite(rootDispersion) ||
    leap === undefined
  ) {
    return unsynchronised("chrony", `unexpected chronyc output: ${line.slice(0, 80)}`, readAtMs);
  }
  if (leap === 3 || stratum < 1 || stratum > 15 || refTime === 0) {
    return unsynchronised("chrony", "chronyd reports the clock not synchronised", readAtMs);
  }
  const sec = Math.floor(refTime);
  return {
    synchronised: true,
    source: "chrony",
    stratum,
    referenceId: refId >>> 0,
    referenceTime: { sec, nsec: Math.min(999_999_999, Math.round((refTime - sec) * 1e9)) },
    rootDelay,
    rootDispersion,
    leap,
    readAtMs,
  };
}

/** "1.373ms", "24.414ms", "2s 100ms", "87us", "0" → seconds (systemd timespans). */
export function parseTimespan(text: string): number | undefined {
  const t = text.trim();
  if (t === "0") return 0;
  const units: Record<string, number> = { us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, min: 60, h: 3600 };
  let total = 0;
  let matched = false;
  for (const m of t.matchAll(/([0-9]+(?:\.[0-9]+)?)\s*(us|µs|ms|min|s|h)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = true;
  }
  return matched ? total : undefined;
}

/**
 * Parses `timedatectl show-timesync --all` (NTPSynchronized comes from `timedatectl show`):
 * ServerAddress and NTPMessage={ Leap=…, Stratum=…, RootDelay=…, RootDispersion=…, … } describe
 * the upstream; the host serves at its stratum + 1 with the upstream address as reference ID.
 */
export function parseTimesync(
  showTimesync: string,
  ntpSynchronized: boolean,
  readAtMs: number,
): HostSyncState {
  if (!ntpSynchronized)
    return unsynchronised("timesyncd", "systemd-timesyncd reports NTPSynchronized=no", readAtMs);
  const props = new Map<string, string>();
  for (const line of showTimesync.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) props.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const message = props.get("NTPMessage") ?? "";
  const field = (name: string) => new RegExp(`(?:^|[{,\\s])${name}=([^,}]*)`).exec(message)?.[1]?.trim();
  const upstreamStratum = Number(field("Stratum"));
  const leap = Number(field("Leap"));
  const rootDelay = parseTimespan(field("RootDelay") ?? "");
  const rootDispersion = parseTimespan(field("RootDispersion") ?? "");
  const server = props.get("ServerAddress") ?? "";
  if (
    !Number.isInteger(upstreamStratum) ||
    upstreamStratum < 1 ||
    upstreamStratum > 14 ||
    !(leap >= 0 && leap <= 2) ||
    rootDelay === undefined ||
    rootDispersion === undefined
  ) {
    return unsynchronised("timesyncd", "systemd-timesyncd gives no usable upstream details", readAtMs);
  }
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(server);
  const referenceId = ipv4 ? ipv4.slice(1, 5).reduce((acc, p) => acc * 256 + (Number(p) & 255), 0) : 0;
  return {
    synchronised: true,
    source: "timesyncd",
    stratum: upstreamStratum + 1,
    referenceId,
    // timesyncd does not expose when it last set the clock; the time we saw it synchronised is the
    // closest honest value.
    referenceTime: { sec: Math.floor(readAtMs / 1000), nsec: (readAtMs % 1000) * 1e6 },
    rootDelay,
    rootDispersion,
    leap: leap as LeapIndicator,
    readAtMs,
  };
}

export type CommandRunner = (command: string, args: readonly string[], timeoutMs: number) => Promise<string>;

const runCommand: CommandRunner = (command, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    // Loaded on first use: start-up does not wait for node:child_process.
    process
      .getBuiltinModule("node:child_process")
      .execFile(
        command,
        args,
        { timeout: timeoutMs, encoding: "utf8", maxBuffer: 64 * 1024 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
  });

export interface CommandHostSyncOptions {
  readonly run?: CommandRunner;
  readonly refreshMs?: number;
  readonly timeoutMs?: number;
  readonly nowMs?: () => number;
}

/** Asks chronyd first, then systemd-timesyncd; neither answering means unsynchronised. */
export class CommandHostSync implements HostSyncSource {
  readonly #run: CommandRunner;
  readonly #refreshMs: number;
  readonly #timeoutMs: number;
  readonly #nowMs: () => number;
  #state: HostSyncState = unsynchronised("none", "not read yet");
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(options: CommandHostSyncOptions = {}) {
    this.#run = options.run ?? runCommand;
    this.#refreshMs = options.refreshMs ?? 16_000;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  current(): HostSyncState {
    return this.#state;
  }

  async start(): Promise<void> {
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.refresh(), this.#refreshMs);
      this.#timer.unref();
    }
    await this.refresh();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One read; concurrent calls share it. Never rejects. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.#read().then(
      (state) => {
        this.#state = state;
        this.#inFlight = undefined;
      },
      () => {
        this.#inFlight = undefined;
      },
    );
    return this.#inFlight;
  }

  async #read(): Promise<HostSyncState> {
    try {
      const out = await this.#run("chronyc", ["-n", "-c", "tracking"], this.#timeoutMs);
      return parseChronycTracking(out, this.#nowMs());
    } catch {
      // chronyc missing or chronyd not running: try systemd-timesyncd.
    }
    try {
      const synced = await this.#run(
        "timedatectl",
        ["show", "-p", "NTPSynchronized", "--value"],
        this.#timeoutMs,
      );
      const details = await this.#run("timedatectl", ["show-timesync", "--all"], this.#timeoutMs);
      return parseTimesync(details, synced.trim() === "yes", this.#nowMs());
    } catch {
      return unsynchronised("none", "no chronyd or systemd-timesyncd state could be read", this.#nowMs());
    }
  }
}

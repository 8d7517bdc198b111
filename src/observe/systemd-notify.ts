import { loadNativeModule } from "../net/native-module.js";

/**
 * systemd's readiness protocol (Type=notify): READY=1 once every service listens, RELOADING=1 and
 * READY=1 around a reload, STOPPING=1 on shutdown, and WATCHDOG=1 pings when the unit asks for
 * them. Without $NOTIFY_SOCKET (not under systemd) every call does nothing.
 */
export interface SystemdNotifier {
  /**
   * Set when systemd waits for READY=1 ($NOTIFY_SOCKET) but the notify module cannot be loaded:
   * why, for the operator. Start-up fails with it at once, since systemd would otherwise stop the
   * unit only when TimeoutStartSec runs out, after phones had been served for a while.
   */
  readonly unavailable?: string;
  ready(status?: string): void;
  reloading(): void;
  stopping(): void;
  close(): void;
}

type Send = (socketPath: string, message: string) => number;

export function loadNotifySender(): Send {
  return loadNativeModule<{ notify: Send }>("sd_notify", "the systemd notify module").notify;
}

export function createNotifier(
  env: NodeJS.ProcessEnv = process.env,
  send: () => Send = loadNotifySender,
  onError: (message: string) => void = () => {},
): SystemdNotifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return { ready() {}, reloading() {}, stopping() {}, close() {} };
  let sender: Send;
  try {
    sender = send();
  } catch (error) {
    // Node.js has no AF_UNIX datagram sockets to fall back on (see docs/architecture.md).
    return {
      unavailable: `systemd waits for readiness ($NOTIFY_SOCKET is set) but cannot be told: ${(error as Error).message}`,
      ready() {},
      reloading() {},
      stopping() {},
      close() {},
    };
  }
  const notify = (message: string) => {
    try {
      sender(socket, message);
    } catch (error) {
      onError(`sd_notify: ${(error as Error).message}`);
    }
  };
  let watchdog: NodeJS.Timeout | undefined;
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  if (Number.isFinite(usec) && usec > 0 && forUs) {
    // Ping at half the interval, as sd_watchdog_enabled(3) advises.
    watchdog = setInterval(() => notify("WATCHDOG=1"), Math.max(1, Math.floor(usec / 2000)));
    watchdog.unref();
  }
  return {
    ready(status) {
      notify(status ? `READY=1\nSTATUS=${status}` : "READY=1");
    },
    reloading() {
      const monotonicUsec = process.hrtime.bigint() / 1000n;
      notify(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec}`);
    },
    stopping() {
      notify("STOPPING=1");
    },
    close() {
      clearInterval(watchdog);
    },
  };
}

import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { Appliance, StartupError } from "../appliance.js";
import { createNotifier } from "./systemd-notify.js";

const missing = () => {
  throw new Error('the systemd notify module (build/Release/sd_notify.node) is not built; run "npm install"');
};

describe("createNotifier", () => {
  it("does nothing, and loads nothing, outside systemd", () => {
    const notifier = createNotifier({}, missing);
    expect(notifier.unavailable).toBeUndefined();
    expect(() => notifier.ready("serving")).not.toThrow();
  });

  it("sends READY with the status, RELOADING with the monotonic time, and STOPPING", () => {
    const sent: [string, string][] = [];
    const notifier = createNotifier({ NOTIFY_SOCKET: "/run/test.sock" }, () => (path, message) => {
      sent.push([path, message]);
      return message.length;
    });
    notifier.ready("serving lab");
    notifier.reloading();
    notifier.stopping();
    notifier.close();
    expect(sent.map(([path]) => path)).toEqual(["/run/test.sock", "/run/test.sock", "/run/test.sock"]);
    expect(sent[0]![1]).toBe("READY=1\nSTATUS=serving lab");
    expect(sent[1]![1]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
    expect(sent[2]![1]).toBe("STOPPING=1");
  });

  it("reports a failed send instead of throwing", () => {
    const errors: string[] = [];
    const notifier = createNotifier(
      { NOTIFY_SOCKET: "/run/test.sock" },
      () => () => {
        throw new Error("sendto NOTIFY_SOCKET: Connection refused");
      },
      (message) => errors.push(message),
    );
    expect(() => notifier.ready()).not.toThrow();
    expect(errors).toEqual(["sd_notify: sendto NOTIFY_SOCKET: Connection refused"]);
  });

  it("says why systemd cannot be told when the notify module is missing, without throwing", () => {
    const notifier = createNotifier({ NOTIFY_SOCKET: "/run/test.sock" }, missing);
    expect(notifier.unavailable).toBe(
      'systemd waits for readiness ($NOTIFY_SOCKET is set) but cannot be told: the systemd notify module (build/Release/sd_notify.node) is not built; run "npm install"',
    );
    expect(() => notifier.ready()).not.toThrow();
  });

  it("makes the appliance refuse to start, before it loads the site or binds anything", async () => {
    const notifier = createNotifier({ NOTIFY_SOCKET: "/run/test.sock" }, missing);
    const log = pino({ level: "silent" }, new Writable({ write: (_c, _e, done) => done() }));
    const appliance = new Appliance({ file: "/nonexistent/site.yaml", log, notifier, watchFile: false });
    const failure = appliance.start();
    await expect(failure).rejects.toBeInstanceOf(StartupError);
    await expect(failure).rejects.toThrow(
      /\$NOTIFY_SOCKET is set\) but cannot be told: the systemd notify module/,
    );
    expect(appliance.site).toBeUndefined();
    expect(appliance.service("dns")).toBeUndefined();
  });
});

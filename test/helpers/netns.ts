import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";

/**
 * Throw-away network namespaces for tests. Every lab gets a unique suffix so suites never collide,
 * and `destroy()` removes exactly what this lab created (namespaces, and the processes it started,
 * by PID). Addresses come only from 198.51.100.0/24 and 203.0.113.0/24.
 */
export class NetnsLab {
  readonly id = randomBytes(3).toString("hex");
  readonly #namespaces: string[] = [];
  readonly #children = new Set<ChildProcess>();

  /** Creates a namespace with loopback up; returns its name. */
  namespace(role: string): string {
    const name = `sb-${role}-${this.id}`;
    ip("netns", "add", name);
    this.#namespaces.push(name);
    this.exec(name, "ip", "link", "set", "lo", "up");
    return name;
  }

  /**
   * Joins two namespaces with a veth pair; each end gets the given name and optional address
   * (CIDR form, e.g. "198.51.100.2/24").
   */
  link(
    a: { ns: string; ifname: string; address?: string },
    b: { ns: string; ifname: string; address?: string },
  ) {
    const tmpA = `va${this.id}${this.#namespaces.length}${randomBytes(1).toString("hex")}`.slice(0, 15);
    const tmpB = `vb${tmpA.slice(2)}`.slice(0, 15);
    ip("link", "add", tmpA, "type", "veth", "peer", "name", tmpB);
    ip("link", "set", tmpA, "netns", a.ns);
    ip("link", "set", tmpB, "netns", b.ns);
    for (const [end, tmp] of [
      [a, tmpA],
      [b, tmpB],
    ] as const) {
      this.exec(end.ns, "ip", "link", "set", tmp, "name", end.ifname);
      if (end.address) this.exec(end.ns, "ip", "addr", "add", end.address, "dev", end.ifname);
      this.exec(end.ns, "ip", "link", "set", end.ifname, "up");
    }
  }

  /** Runs a command inside a namespace and returns its stdout. */
  exec(ns: string, command: string, ...args: string[]): string {
    return execFileSync("ip", ["netns", "exec", ns, command, ...args], { encoding: "utf8", timeout: 30_000 });
  }

  /** Starts a long-running process inside a namespace; it is killed by destroy(). */
  spawn(ns: string, command: string, args: readonly string[]): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, command, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.#children.add(child);
    child.once("exit", () => this.#children.delete(child));
    return child;
  }

  async destroy(): Promise<void> {
    for (const child of this.#children) {
      if (child.pid !== undefined && child.exitCode === null) {
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
      }
    }
    for (const ns of this.#namespaces.splice(0).reverse()) {
      try {
        // Kill anything still running inside (dhclient daemons fork), then delete.
        const pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" })
          .split(/\s+/)
          .filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), "SIGKILL");
          } catch {}
        }
        ip("netns", "del", ns);
      } catch {
        // Already gone.
      }
    }
  }
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
}

/** True when this process may create network namespaces (root with iproute2). */
export function canUseNetns(): boolean {
  try {
    return process.getuid?.() === 0 && execFileSync("ip", ["-V"], { encoding: "utf8" }).length > 0;
  } catch {
    return false;
  }
}

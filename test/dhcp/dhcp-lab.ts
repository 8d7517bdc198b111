/**
 * Network-namespace lab for DHCP integration tests: an appliance namespace running the service
 * (as its own process, so it can be killed) and client namespaces joined to it by veth pairs.
 */

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SitebootEvent } from "../../src/observe/events.js";
import { exampleSiteText } from "../helpers/example-site.js";
import { NetnsLab } from "../helpers/netns.js";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = join(here, "..", "..");
/**
 * Runs a TypeScript fixture as ONE process (node with the tsx loader): the `tsx` command forks a
 * second node process, and kill -9 of the first would leave the real server running.
 */
export const NODE_TS: readonly [string, ...string[]] = [
  process.execPath,
  "--import",
  join(REPO, "node_modules", "tsx", "dist", "esm", "index.mjs"),
];
const SERVE = join(here, "fixtures", "serve.ts");

/** config/site.yaml (provisioning root absolute) with text substitutions applied (e.g. a shorter lease time). */
export function siteYaml(replacements: [string | RegExp, string][] = []): string {
  let text = exampleSiteText();
  for (const [from, to] of replacements) text = text.replace(from, to);
  return text;
}

export interface RunningServer {
  readonly child: ChildProcess;
  readonly events: (SitebootEvent | { type: "ready" })[];
  waitFor(predicate: (e: SitebootEvent) => boolean, timeoutMs?: number): Promise<SitebootEvent>;
}

export class DhcpLab {
  readonly net = new NetnsLab();
  readonly dir = mkdtempSync(join(tmpdir(), "siteboot-dhcp-"));

  writeFile(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** Starts the service in `ns`; resolves once it listens. */
  async serve(
    ns: string,
    siteFile: string,
    leaseDir: string,
    interfaces?: string[],
    env: Record<string, string> = {},
  ): Promise<RunningServer> {
    const args = [SERVE, siteFile, leaseDir, ...(interfaces ? [interfaces.join(",")] : [])];
    const child = this.net.spawn(ns, "env", [
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...NODE_TS,
      ...args,
    ]);
    const events: RunningServer["events"] = [];
    const waiters = new Set<() => void>();
    let stderr = "";
    let buffer = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          events.push(JSON.parse(line));
        } catch {
          // Not an event line.
        }
        nl = buffer.indexOf("\n");
      }
      for (const w of waiters) w();
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const server: RunningServer = {
      child,
      events,
      waitFor(predicate, timeoutMs = 15_000) {
        return new Promise((resolve, reject) => {
          const check = () => {
            const found = events.find((e) => e.type !== "ready" && predicate(e as SitebootEvent));
            if (found) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(found as SitebootEvent);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`timed out waiting for an event; stderr: ${stderr.slice(-2000)}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
    };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server did not start: ${stderr.slice(-2000)}`)),
        20_000,
      );
      const check = () => {
        if (events.some((e) => e.type === "ready")) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}: ${stderr.slice(-2000)}`));
      });
    });
    return server;
  }

  async destroy(): Promise<void> {
    await this.net.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits for `file` to contain `text`. */
export async function waitForFile(
  path: string,
  test: (text: string) => boolean,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch {}
    if (test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}; it holds:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

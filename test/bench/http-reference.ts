/**
 * The HTTP side of the provisioning benchmark: wrk drives keep-alive GETs of per-phone files, each
 * request for another MAC, against siteboot (rendering each file from its template) and against
 * nginx serving the same files rendered beforehand (what a lab would otherwise run: a script
 * writing one file per phone, and a web server). Both get the same client, connections and time.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { stopChild } from "./bench-kit.js";

/** Phones the requests cycle through (MACs 0004f2000000 …). */
export const HTTP_PHONES = 4096;

export function phoneMac(i: number): string {
  return `0004f2${(i % HTTP_PHONES).toString(16).padStart(6, "0")}`;
}

export interface HttpRate {
  readonly requestsPerSecond: number;
  readonly requests: number;
  /** Responses other than 2xx/3xx, and connect/read/write/timeout errors. */
  readonly failed: number;
}

/** wrk with `connections` keep-alive connections for `seconds`, GET /cfg/<mac>.xml round-robin. */
export function wrkRate(
  dir: string,
  host: string,
  port: number,
  connections: number,
  seconds: number,
): Promise<HttpRate> {
  const script = join(dir, "phones.lua");
  writeFileSync(
    script,
    `local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", string.format("/cfg/0004f2%06x.xml", n % ${HTTP_PHONES}))
end
`,
  );
  return new Promise((resolve, reject) => {
    execFile(
      "wrk",
      [
        "-t1",
        `-c${connections}`,
        `-d${seconds}s`,
        "--timeout",
        "5s",
        "-s",
        script,
        `http://${host}:${port}/`,
      ],
      { timeout: (seconds + 15) * 1000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`wrk failed: ${error.message} ${stderr}`));
        const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? Number.NaN);
        const requests = number(/(\d+) requests in/);
        const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
        const socketErrors = errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
        const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
        resolve({
          requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
          requests,
          failed: socketErrors + Number(non2xx?.[1] ?? 0),
        });
      },
    );
  });
}

/**
 * nginx on host:port serving `files` (path → content) from `dir`/static: one process (no master,
 * so its CPU time is one /proc entry, like siteboot's), access log off, keep-alive without a
 * request limit.
 */
export async function startNginx(
  dir: string,
  host: string,
  port: number,
  files: ReadonlyMap<string, string>,
): Promise<ChildProcess> {
  const root = join(dir, "static");
  for (const [path, content] of files) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
master_process off;
pid ${join(dir, "nginx.pid")};
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${join(dir, "nginx-body")};
  proxy_temp_path ${join(dir, "nginx-proxy")};
  types { application/xml xml; }
  server {
    listen ${host}:${port};
    root ${root};
  }
}
`,
  );
  const child = spawn("nginx", ["-c", conf, "-p", dir, "-e", "stderr"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c) => (output += String(c)));
  child.stderr?.on("data", (c) => (output += String(c)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`nginx exited with ${child.exitCode}: ${output.slice(-1500)}`);
    if (await answers(host, port, `/${files.keys().next().value ?? ""}`)) return child;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`nginx did not start: ${output.slice(-1500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The body of GET http://host:port/path, or undefined when nothing answers with 200. */
export function getBody(host: string, port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.setTimeout(2000, () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

async function answers(host: string, port: number, path: string): Promise<boolean> {
  return (await getBody(host, port, path)) !== undefined;
}

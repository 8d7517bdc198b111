import { parseArgs } from "node:util";
import { runCheck } from "./cli/check.js";
import { controlUrl, runLeases, runTimeline } from "./cli/control-client.js";
import { runExplain } from "./cli/explain.js";
import { runServe } from "./cli/serve.js";

const USAGE = `Usage: siteboot <command> [options]

Commands:
  serve    [-c FILE] [--state-dir DIR]
                                     run DHCP, DNS and NTP from the site file (SIGHUP reloads)
  check    [-c FILE] [-q] [--strict] validate the site file; print the derived zones and DHCP options
  explain  --mac MAC [--vendor-class TEXT | --vendor-class-hex HEX] [--client-id HEX] [--subnet CIDR]
                                     what that client would get, and where each option came from
  leases   [-c FILE | --control URL] the running appliance's leases
  timeline MAC [-c FILE | --control URL]
                                     what a phone did, in order: DHCP, DNS queries, NTP

Options:
  -c, --config FILE    site file (default /etc/siteboot/site.yaml)
  -q, --quiet          check: print only problems
      --strict         check: fail when this host lacks a named interface or address
  -h, --help           this help
`;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (error) {
    err(`siteboot: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = values.config ?? "/etc/siteboot/site.yaml";
  const positional = (count: number) => {
    if (positionals.length !== count)
      throw new UsageError(
        `"${command}" takes ${count === 0 ? "no" : count} argument${count === 1 ? "" : "s"}`,
      );
    return positionals;
  };
  try {
    switch (command) {
      case "check":
        positional(0);
        return await runCheck(config, out, err, values.quiet, values.strict);
      case "serve":
        positional(0);
        return await runServe(config, values["state-dir"]);
      case "explain":
        positional(0);
        if (!values.mac) throw new UsageError("explain needs --mac");
        return await runExplain(
          config,
          {
            mac: values.mac,
            ...(values["vendor-class"] === undefined ? {} : { vendorClass: values["vendor-class"] }),
            ...(values["vendor-class-hex"] === undefined
              ? {}
              : { vendorClassHex: values["vendor-class-hex"] }),
            ...(values["client-id"] === undefined ? {} : { clientId: values["client-id"] }),
            ...(values.subnet === undefined ? {} : { subnet: values.subnet }),
          },
          out,
          err,
        );
      case "leases":
        positional(0);
        return await runLeases(await controlUrl(config, values.control), out);
      case "timeline": {
        const [client] = positional(1);
        return await runTimeline(await controlUrl(config, values.control), client as string, out, err);
      }
      default:
        err(`siteboot: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`siteboot: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    err(`siteboot: ${(error as Error).message}`);
    return 1;
  }
}

class UsageError extends Error {}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      quiet: { type: "boolean", short: "q" },
      strict: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      control: { type: "string" },
      "state-dir": { type: "string" },
      mac: { type: "string" },
      "vendor-class": { type: "string" },
      "vendor-class-hex": { type: "string" },
      "client-id": { type: "string" },
      subnet: { type: "string" },
    },
    allowPositionals: true,
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Services are closed by now; do not wait on stray handles (fs.watch, timers) to exit.
    if (process.argv[2] === "serve") setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    err(`siteboot: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);

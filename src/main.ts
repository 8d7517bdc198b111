import { readFileSync } from "node:fs";
import {
  type CommandSpec,
  commandUsage,
  type FlagSpec,
  type FlagValues,
  overallUsage,
  parseCommand,
  UsageError,
} from "./cli/args.js";
import { runCheck } from "./cli/check.js";
import { controlUrl, runLeases, runTimeline } from "./cli/control-client.js";
import { runExplain } from "./cli/explain.js";
import { runServe } from "./cli/serve.js";

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

const CONFIG: FlagSpec = {
  name: "config",
  short: "c",
  value: "FILE",
  help: "site file (default /etc/siteboot/site.yaml)",
};
const CONTROL: FlagSpec = {
  name: "control",
  value: "URL",
  help: "the running appliance's control endpoint (default: control.address and listen.ports.control in the site file)",
};

interface Command extends CommandSpec {
  run(values: FlagValues, positionals: readonly string[]): Promise<number>;
}

const text = (values: FlagValues, name: string) => {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
};
const config = (values: FlagValues) => text(values, "config") ?? "/etc/siteboot/site.yaml";

const COMMANDS: readonly Command[] = [
  {
    name: "serve",
    positionals: [],
    summary:
      "run DHCP, DNS, NTP and the control endpoint from the site file (SIGHUP or a change of the file reloads it)",
    flags: [
      CONFIG,
      {
        name: "state-dir",
        value: "DIR",
        help: "where the lease journal lives (default: the site's stateDir)",
      },
    ],
    run: (values) => runServe(config(values), text(values, "state-dir")),
  },
  {
    name: "check",
    positionals: [],
    summary: "validate the site file; print the derived zones and DHCP options",
    flags: [
      CONFIG,
      { name: "quiet", short: "q", help: "print only problems" },
      { name: "strict", help: "fail when this host lacks an interface or address the file names" },
    ],
    run: (values) => runCheck(config(values), out, err, values.quiet === true, values.strict === true),
  },
  {
    name: "explain",
    positionals: [],
    summary: "offline: what that client would get, and where each option came from",
    flags: [
      { name: "mac", value: "MAC", required: true, help: "the client's hardware address" },
      { name: "vendor-class", value: "TEXT", help: "its option 60 as text" },
      {
        name: "vendor-class-hex",
        value: "HEX",
        help: "its option 60 as hex (binary forms such as Polycom's)",
      },
      { name: "client-id", value: "HEX", help: "its option 61 as hex" },
      {
        name: "subnet",
        value: "CIDR",
        help: "the subnet it asks from (default: the one its reservation or interface gives)",
      },
      CONFIG,
    ],
    run: (values) => {
      const optional = (name: string, key: string) => {
        const value = text(values, name);
        return value === undefined ? {} : { [key]: value };
      };
      return runExplain(
        config(values),
        {
          mac: text(values, "mac") as string,
          ...optional("vendor-class", "vendorClass"),
          ...optional("vendor-class-hex", "vendorClassHex"),
          ...optional("client-id", "clientId"),
          ...optional("subnet", "subnet"),
        },
        out,
        err,
      );
    },
  },
  {
    name: "leases",
    positionals: [],
    summary: "the running appliance's leases",
    flags: [CONFIG, CONTROL],
    run: async (values) => runLeases(await controlUrl(config(values), text(values, "control")), out),
  },
  {
    name: "timeline",
    positionals: ["MAC"],
    summary:
      "what a phone did, in order: DHCP messages (vendor class, options asked for and given), DNS queries, NTP",
    flags: [CONFIG, CONTROL],
    run: async (values, [client]) =>
      runTimeline(await controlUrl(config(values), text(values, "control")), client as string, out, err),
  },
];

/** src/main.ts and the bundle dist/siteboot.js both sit one directory below package.json. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(overallUsage(COMMANDS));
    return 2;
  }
  if (name === "--version" || name === "-V") {
    out(`siteboot ${version()}`);
    return 0;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    process.stdout.write(topic ? commandUsage(topic) : overallUsage(COMMANDS));
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    err(`siteboot: unknown command "${name}"\n`);
    process.stderr.write(overallUsage(COMMANDS));
    return 2;
  }
  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(command, rest, COMMANDS);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`siteboot: ${error.message}\n`);
    process.stderr.write(commandUsage(command));
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(commandUsage(command));
    return 0;
  }
  try {
    return await command.run(parsed.values, parsed.positionals);
  } catch (error) {
    err(`siteboot: ${(error as Error).message}`);
    return 1;
  }
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

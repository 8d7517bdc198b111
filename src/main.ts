#!/usr/bin/env node
import { parseArgs } from "node:util";
import { runCheck } from "./cli/check.js";

const USAGE = `Usage: siteboot <command> [options]

Commands:
  check   [-c FILE] [-q]   validate site.yaml and print the derived zones and DHCP option sets

Options:
  -c, --config FILE        site file (default /etc/siteboot/site.yaml)
  -q, --quiet              check: print only problems
  -h, --help               this help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  let values: { config?: string; quiet?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        config: { type: "string", short: "c" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`siteboot: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = values.config ?? "/etc/siteboot/site.yaml";
  switch (command) {
    case "check":
      return runCheck(
        config,
        (l) => process.stdout.write(`${l}\n`),
        (l) => process.stderr.write(`${l}\n`),
        values.quiet,
      );
    default:
      process.stderr.write(`siteboot: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `siteboot: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);

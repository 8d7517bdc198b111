import { parseArgs } from "node:util";

/**
 * The commands' flags, declared once: the parser, each command's `--help` and the overall usage
 * are made from the same list, so a flag cannot be accepted without being documented or the other
 * way round. A flag a command does not know is a usage error naming it.
 */
export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  /** The value's placeholder (FILE, DIR…); absent for a boolean flag. */
  readonly value?: string;
  /** The command cannot run without it. */
  readonly required?: boolean;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  /** Positional arguments as shown in the usage line, e.g. ["MAC"]. */
  readonly positionals: readonly string[];
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
}

export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

export class UsageError extends Error {}

export const HELP_FLAG: FlagSpec = { name: "help", short: "h", help: "this help" };

/** The command's flags and positionals, or a UsageError that names what is wrong. */
export function parseCommand(
  spec: CommandSpec,
  args: readonly string[],
  all: readonly CommandSpec[],
): { values: FlagValues; positionals: string[] } {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const flag of [...spec.flags, HELP_FLAG]) {
    options[flag.name] = {
      type: flag.value === undefined ? "boolean" : "string",
      ...(flag.short === undefined ? {} : { short: flag.short }),
    };
  }
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(spec, error as Error & { code?: string }, all));
  }
  if (parsed.values.help) return parsed;
  const missing = spec.flags.find((f) => f.required && parsed.values[f.name] === undefined);
  if (missing) throw new UsageError(`${spec.name} needs --${missing.name} ${missing.value ?? ""}`.trimEnd());
  const expected = spec.positionals.length;
  if (parsed.positionals.length !== expected) {
    throw new UsageError(
      expected === 0
        ? `${spec.name} takes no arguments (got ${parsed.positionals.map((p) => `"${p}"`).join(" ")})`
        : `${spec.name} takes ${spec.positionals.join(" ")}`,
    );
  }
  return parsed;
}

function describeParseError(
  spec: CommandSpec,
  error: Error & { code?: string },
  all: readonly CommandSpec[],
) {
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const flag = /'(-[^']*)'/.exec(error.message)?.[1] ?? "";
    const known = (f: FlagSpec) => (flag.startsWith("--") ? `--${f.name}` : `-${f.short}`) === flag;
    const owners = all.filter((c) => c.flags.some(known)).map((c) => c.name);
    return `${spec.name} has no option ${flag}${owners.length > 0 ? ` (it is an option of ${owners.join(", ")})` : ""}`;
  }
  const flag = /--[\w-]+/.exec(error.message)?.[0];
  if (error.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag !== undefined) {
    return `${spec.name}: ${flag} ${error.message.includes("argument missing") ? "needs a value" : "takes no value"}`;
  }
  return `${spec.name}: ${error.message}`;
}

function flagColumn(flag: FlagSpec): string {
  const names = `${flag.short === undefined ? "    " : `-${flag.short}, `}--${flag.name}`;
  return flag.value === undefined ? names : `${names} ${flag.value}`;
}

/** The flags part of a usage line, e.g. `[-c FILE] [--state-dir DIR]`. */
function synopsis(spec: CommandSpec): string {
  const flags = spec.flags.map((f) => {
    const name = f.short === undefined ? `--${f.name}` : `-${f.short}`;
    const text = f.value === undefined ? name : `${name} ${f.value}`;
    return f.required ? text : `[${text}]`;
  });
  return [spec.name, ...spec.positionals, ...flags].join(" ");
}

/** `siteboot <command> --help`: the command, what it does and every flag it takes. */
export function commandUsage(spec: CommandSpec): string {
  const flags = [...spec.flags, HELP_FLAG];
  const width = Math.max(...flags.map((f) => flagColumn(f).length)) + 2;
  return [
    `Usage: siteboot ${synopsis(spec)}`,
    "",
    spec.summary,
    "",
    "Options:",
    ...flags.map((f) => `  ${flagColumn(f).padEnd(width)}${f.help}`),
    "",
  ].join("\n");
}

/** `siteboot --help`: every command with its flags. */
export function overallUsage(specs: readonly CommandSpec[]): string {
  return [
    "Usage: siteboot <command> [options]",
    "",
    "Commands:",
    ...specs.flatMap((s) => [`  ${synopsis(s)}`, `      ${s.summary}`]),
    "",
    "Options:",
    "  -h, --help     this help; `siteboot <command> --help` shows that command's options",
    "      --version  the version of siteboot",
    "",
  ].join("\n");
}

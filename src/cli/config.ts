/**
 * The commands' way into the configuration layer: the --config flag, the process environment,
 * and each command's flags, derived from the FIELDS table (a field names its flag and the commands
 * that take it): flag > environment > file > default.
 */
import type { ArgDef } from "citty";
import {
  FIELDS,
  loadConfig,
  type Command,
  type Config,
  type Field,
  type FlagValue,
} from "../config/index.ts";
import { repeatedFlag } from "./args.ts";

/** The --config flag every command that reads configuration accepts. */
const configArg = {
  config: { type: "string", description: "configuration file (default: ./config.toml if present)" },
} as const;

const ALL: readonly Field[] = FIELDS;

function flagsOf(command: Command) {
  return ALL.flatMap((field) =>
    field.flag?.commands.includes(command)
      ? [{ field, name: field.flag.name, alias: field.flag.alias?.[command] }]
      : [],
  );
}

/** citty's argument definitions of `command`'s configuration flags, with --config. */
export function configArgs(command: Command): typeof configArg & Record<string, ArgDef> {
  const defs: typeof configArg & Record<string, ArgDef> = { ...configArg };
  for (const { field, name, alias } of flagsOf(command)) {
    const env = field.env === undefined ? "" : ` (env ${field.env})`;
    const repeat = field.kind.type === "strings" ? "; repeat or comma-separate" : "";
    defs[name] = {
      type: field.kind.type === "bool" ? "boolean" : "string",
      description: `${field.doc}${repeat}${env}`,
      ...(alias === undefined ? {} : { alias }),
    };
  }
  return defs;
}

/** The configuration flags `command` was given, as config keys (lists from every occurrence). */
export function configFlags(
  command: Command,
  args: Record<string, unknown>,
  rawArgs: readonly string[],
): FlagValue[] {
  return flagsOf(command).map(({ field, name, alias }) => {
    let value = args[name];
    if (field.kind.type === "strings") {
      // citty keeps only the last of a repeated flag: read them all from the raw arguments.
      const names = alias === undefined ? [name] : [name, alias];
      const list = repeatedFlag(rawArgs, names).flatMap((v) => v.split(",").map((s) => s.trim()));
      value = list.length > 0 ? list : undefined;
    }
    return { key: field.key, value, flag: `--${name}` };
  });
}

/** Loads the configuration; ConfigError (exit 2, one line) on any bad value. */
export function cliConfig(configPath: string | undefined, flags: readonly FlagValue[]): Readonly<Config> {
  return loadConfig({ file: configPath, env: process.env, flags });
}

/** The command config `mode` names, for `vbridge` without a command (--config honoured). */
export function configuredCommand(rawArgs: readonly string[]): string {
  const mode = cliConfig(repeatedFlag(rawArgs, ["config"]).at(-1), []).mode;
  return mode === "miner" ? "mine" : mode;
}

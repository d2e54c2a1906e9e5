/**
 * The commands' way into the configuration layer: the --config flag, the process environment,
 * and each command's flags mapped onto config keys (flag > environment > file > default).
 */
import { loadConfig, type Config, type FlagValue } from "../config/index.ts";
import { repeatedFlag } from "./args.ts";

/** The --config flag every command that reads configuration accepts. */
export const configArg = {
  config: { type: "string", description: "configuration file (default: ./config.toml if present)" },
} as const;

/** Loads the configuration; ConfigError (exit 2, one line) on any bad value. */
export function cliConfig(configPath: string | undefined, flags: readonly FlagValue[]): Readonly<Config> {
  return loadConfig({ file: configPath, env: process.env, flags });
}

/** The command config `mode` names, for `vbridge` without a command (--config honoured). */
export function configuredCommand(rawArgs: readonly string[]): string {
  const mode = cliConfig(repeatedFlag(rawArgs, ["config"]).at(-1), []).mode;
  return mode === "miner" ? "mine" : mode;
}

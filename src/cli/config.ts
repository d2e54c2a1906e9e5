/**
 * The commands' way into the configuration layer: the --config flag, the process environment,
 * and each command's flags mapped onto config keys (flag > environment > file > default).
 */
import { loadConfig, type Config, type FlagValue } from "../config/index.ts";

/** The --config flag every command that reads configuration accepts. */
export const configArg = {
  config: { type: "string", description: "configuration file (default: ./config.toml if present)" },
} as const;

/** Loads the configuration; ConfigError (exit 2, one line) on any bad value. */
export function cliConfig(configPath: string | undefined, flags: readonly FlagValue[]): Readonly<Config> {
  return loadConfig({ file: configPath, env: process.env, flags });
}

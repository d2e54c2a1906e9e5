/**
 * The command-line boundary: runs the citty command tree and turns its outcome into an exit code.
 * 0 ok; 1 failure (a command reported one, or an unexpected error); 2 usage or configuration
 * error, reported as one line on stderr. Programmer errors keep their stack trace.
 */
import { runCommand, showUsage, type CommandDef } from "citty";
import { isUsageError } from "./errors.ts";

export interface RunOptions {
  /**
   * The command to run when none is given (no arguments, or only options): `vbridge` alone runs
   * what config.toml's `mode` says. Without it, a bare `vbridge` prints the usage (exit 2).
   */
  defaultCommand?: (rawArgs: readonly string[]) => string;
}

export async function runCli(
  main: CommandDef<any>,
  rawArgs: string[] = process.argv.slice(2),
  options: RunOptions = {},
): Promise<void> {
  const name = (await meta(main))?.name ?? "vbridge";
  try {
    if (rawArgs.includes("--help") || rawArgs.includes("-h")) {
      const sub = await subCommand(main, rawArgs);
      await showUsage(sub ?? main, sub === undefined ? undefined : main);
      return;
    }
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      console.log((await meta(main))?.version ?? "unknown");
      return;
    }
    if (options.defaultCommand !== undefined && (rawArgs.length === 0 || rawArgs[0]!.startsWith("-"))) {
      rawArgs = [options.defaultCommand(rawArgs), ...rawArgs];
    }
    if (rawArgs.length === 0) {
      await showUsage(main);
      process.exitCode = 2;
      return;
    }
    const { result } = await runCommand(main, { rawArgs });
    process.exitCode = typeof result === "number" ? result : 0;
  } catch (e) {
    process.exitCode = report(name, e);
  }
}

/** Prints the error; returns the exit code. */
function report(name: string, e: unknown): number {
  const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : undefined;
  if (!(e instanceof Error) || code === undefined) {
    console.error(e);
    return 1;
  }
  // citty colours its messages; a one-line error for scripts and logs must be plain.
  const message = e.message.replace(/\u001b\[[0-9;]*m/g, "").replace(/\s*\n\s*/g, " ");
  console.error(`${name}: ${message}`);
  return isUsageError(e) ? 2 : 1;
}

async function meta(main: CommandDef<any>) {
  return typeof main.meta === "function" ? await main.meta() : await main.meta;
}

async function subCommand(main: CommandDef<any>, rawArgs: string[]): Promise<CommandDef<any> | undefined> {
  const subs = typeof main.subCommands === "function" ? await main.subCommands() : await main.subCommands;
  const first = rawArgs.find((a) => !a.startsWith("-"));
  const sub = first === undefined || subs === undefined ? undefined : subs[first];
  return typeof sub === "function" ? await sub() : await sub;
}

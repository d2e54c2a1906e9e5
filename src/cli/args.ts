/**
 * Flag helpers shared by the commands. citty parses leniently (an unknown `--flag` silently becomes
 * a value), so each command rejects options it does not define before doing anything.
 */
import type { ArgsDef } from "citty";
import { availableImpls, parseImpl, resolveImpl, type ImplName } from "../hash/index.ts";
import { inRange, rangePhrase, toNumber, type Range } from "../util/range.ts";
import { UsageError } from "./errors.ts";

/** Throws E_UNKNOWN_OPTION for any `--name` / `-x` in rawArgs that `defs` does not declare. */
export function rejectUnknownOptions(rawArgs: readonly string[], defs: ArgsDef): void {
  const known = new Set<string>();
  const takesValue = new Set<string>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const names = [name, kebab(name), ...(typeof alias === "string" ? [alias] : (alias ?? []))];
    for (const n of names) {
      known.add(n);
      if (def.type === "boolean") known.add(`no-${n}`);
      else takesValue.add(n);
    }
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") return;
    if (!arg.startsWith("-") || arg === "-") continue;
    const name = arg.replace(/^--?/, "").split("=", 1)[0]!;
    if (!known.has(name)) throw new UsageError("E_UNKNOWN_OPTION", `unknown option ${arg.split("=", 1)[0]}`);
    if (takesValue.has(name) && !arg.includes("=")) i++;
  }
}

/** A number in `range` from a flag value; E_USAGE naming the flag otherwise. */
export function parseNumberFlag(flag: string, value: string, range: Range): number {
  const n = toNumber(value);
  if (!inRange(n, range)) {
    throw new UsageError("E_USAGE", `--${flag} must be ${rangePhrase(range)} (got ${JSON.stringify(value)})`);
  }
  return n;
}

/** A whole number in [min, max] from a flag value; E_USAGE otherwise. */
export function parseIntFlag(flag: string, value: string, min: number, max: number): number {
  return parseNumberFlag(flag, value, { whole: true, min, max });
}

/** A positive number of seconds (at most `max`) from a flag value; E_USAGE otherwise. */
export function parseSecondsFlag(flag: string, value: string, max = 3600): number {
  return parseNumberFlag(flag, value, { seconds: true, min: 0, exclusiveMin: true, max });
}

/** --impl of `selftest` and `bench`: one implementation, or every one this CPU can run. */
export const implArg = {
  impl: {
    type: "string",
    description: "only this one: auto | portable | aesni | armv8 (default: every available)",
  },
} as const;

export function implsOf(impl: string | undefined): ImplName[] {
  return impl === undefined ? availableImpls() : [resolveImpl(parseImpl(impl))];
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Every value of a repeatable string flag, in order (`--pool a --pool b`, `--pool=a`), from the
 * raw arguments: citty keeps only one. Comma lists are the caller's to split.
 */
export function repeatedFlag(rawArgs: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") break;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (m === null || !names.includes(m[1]!)) continue;
    const value = m[2] ?? rawArgs[++i];
    if (value === undefined) throw new UsageError("E_USAGE", `${arg} needs a value`);
    values.push(value);
  }
  return values;
}

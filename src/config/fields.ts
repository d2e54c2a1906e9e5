/**
 * The kinds of configuration value and how each is read, whatever the layer: a TOML file gives
 * typed values, environment variables and flags give strings (or booleans and repeated strings
 * from flags). Every reader either returns the value or throws E_CONFIG naming the key, where it
 * came from and what was wrong, in one line.
 */
import { CodedError } from "../util/errors.ts";
import { inRange, rangePhrase, toNumber, type Range } from "../util/range.ts";

export type ConfigErrorCode = "E_CONFIG" | "E_CONFIG_FILE";

export class ConfigError extends CodedError<ConfigErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<ConfigErrorCode>([
    "E_CONFIG",
    "E_CONFIG_FILE",
  ]);
}

export type FieldKind =
  | { type: "string"; allowEmpty?: boolean }
  | { type: "strings"; min: number; max: number }
  | { type: "bool" }
  | { type: "int"; min: number; max: number }
  | { type: "number"; min: number; max: number; exclusiveMin?: boolean }
  | { type: "enum"; values: readonly string[] };

export type Value = string | number | boolean | readonly string[];

function fail(key: string, origin: string, what: string, got: unknown): never {
  throw new ConfigError("E_CONFIG", `${origin}: ${key} ${what} (got ${JSON.stringify(got)})`);
}

/**
 * Reads `raw` as a value of `kind`; strings are parsed (env, flags), typed values checked (TOML).
 * `origin` names where it came from, for messages: "config.toml", "environment POOL_URL", "--port".
 */
export function readValue(key: string, kind: FieldKind, raw: unknown, origin: string): Value {
  switch (kind.type) {
    case "string": {
      if (typeof raw !== "string") fail(key, origin, "must be a string", raw);
      if (!kind.allowEmpty && raw.trim() === "") fail(key, origin, "must not be empty", raw);
      return raw;
    }
    case "strings": {
      // env and flags: one string, comma-separated for a list (POOL_URL="a,b")
      const list = typeof raw === "string" ? raw.split(",").map((s) => s.trim()) : raw;
      if (!Array.isArray(list) || !list.every((s) => typeof s === "string" && s !== "")) {
        fail(key, origin, "must be a list of non-empty strings", raw);
      }
      if (list.length < kind.min || list.length > kind.max) {
        fail(key, origin, `must have ${kind.min}..${kind.max} entries`, raw);
      }
      return Object.freeze([...(list as string[])]);
    }
    case "bool": {
      if (typeof raw === "boolean") return raw;
      if (typeof raw === "string" && /^(1|true|yes|on)$/i.test(raw.trim())) return true;
      if (typeof raw === "string" && /^(0|false|no|off|)$/i.test(raw.trim())) return false;
      return fail(key, origin, "must be true or false", raw);
    }
    case "int":
    case "number": {
      const range: Range = { ...kind, whole: kind.type === "int" };
      const n = toNumber(raw);
      if (!inRange(n, range)) fail(key, origin, `must be ${rangePhrase(range)}`, raw);
      return n;
    }
    case "enum": {
      if (typeof raw !== "string" || !kind.values.includes(raw)) {
        fail(key, origin, `must be one of ${kind.values.map((v) => `"${v}"`).join(", ")}`, raw);
      }
      return raw;
    }
  }
}

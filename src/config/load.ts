/**
 * The only reader of configuration: TOML file, environment and flags, in that order of rising
 * precedence over the defaults (flag > environment > file > default). Returns one frozen, typed,
 * validated Config, or throws a ConfigError whose message is one line naming the key, where the
 * bad value came from and what is wrong (the CLI prints it and exits 2).
 */
import { AddressError, AddressSet } from "../net/addresses.ts";
import { existsSync, readFileSync } from "node:fs";
import { parse, TomlError } from "smol-toml";
import { inRange, rangePhrase, toNumber, type Range } from "../util/range.ts";
import { ConfigError, readValue, type Value } from "./fields.ts";
import { BUILTIN_POOL, FIELDS, type Config, type Field } from "./schema.ts";

/** A flag's contribution: the config key it sets, its value, and how the user spelled it. */
export interface FlagValue {
  key: string;
  value: unknown;
  flag: string;
}

export interface LoadOptions {
  /** A path given by the user (must exist); undefined: ./config.toml if present; null: no file. */
  file?: string | null;
  env?: Readonly<Record<string, string | undefined>>;
  flags?: readonly FlagValue[];
}

export const DEFAULT_CONFIG_FILE = "config.toml";

/** The table, as plain Fields (FIELDS itself is typed literally, to derive Config). */
const ALL: readonly Field[] = FIELDS;
const BY_KEY = new Map(ALL.map((f) => [f.key, f]));

export function loadConfig(o: LoadOptions = {}): Readonly<Config> {
  const values = new Map<string, Value>(ALL.map((f) => [f.key, f.default]));
  const path = o.file === undefined ? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : null) : o.file;
  if (path !== null) {
    for (const [key, raw] of flatten(readToml(path))) values.set(key, read(field(key, path), raw, path));
  }
  const env = o.env ?? {};
  for (const f of ALL) {
    const raw = f.env === undefined ? undefined : env[f.env];
    if (raw !== undefined && raw !== "") values.set(f.key, read(f, raw, `environment ${f.env}`));
  }
  for (const { key, value, flag } of o.flags ?? []) {
    if (value === undefined) continue;
    values.set(key, read(field(key, flag), value, flag));
  }
  const config = nest(values) as unknown as Config;
  crossCheck(config);
  return deepFreeze(config);
}

/** readValue, and the one kind it has no case for: a count or "auto" (bridge.workers). */
function read(f: Field, raw: unknown, origin: string): Value {
  if (!("countOrAuto" in f.kind)) return readValue(f.key, f.kind, raw, origin);
  const { min, max } = f.kind.countOrAuto as { min: number; max: number };
  if (raw === "auto") return "auto";
  const range: Range = { whole: true, min, max };
  const n = toNumber(raw);
  if (inRange(n, range)) return n;
  throw new ConfigError(
    "E_CONFIG",
    `${origin}: ${f.key} must be ${rangePhrase(range)} or "auto" (got ${JSON.stringify(raw)})`,
  );
}

function field(key: string, origin: string): Field {
  const f = BY_KEY.get(key);
  if (f !== undefined) return f;
  const prefix = key.slice(0, key.indexOf(".") + 1); // "" for a top-level key
  const known = ALL.filter((x) => x.key.startsWith(prefix) && !x.key.slice(prefix.length).includes("."));
  const names = known.map((x) => x.key.slice(prefix.length)).join(", ");
  const where = prefix === "" ? "top-level" : `in [${prefix.slice(0, -1)}]`;
  const hint = known.length > 0 ? ` (known ${where}: ${names})` : "";
  throw new ConfigError("E_CONFIG", `${origin}: unknown key ${key}${hint}`);
}

function readToml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const reason = (e as { code?: string }).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new ConfigError("E_CONFIG_FILE", `cannot read config file ${path}: ${reason}`);
  }
  try {
    return parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n", 1)[0];
      throw new ConfigError("E_CONFIG_FILE", `${path}:${e.line}:${e.column}: ${first}`);
    }
    throw e;
  }
}

/** TOML tables → dotted keys; arrays are values. */
function flatten(obj: Record<string, unknown>, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)) {
      if (BY_KEY.has(key))
        out.push([key, v]); // a table where a value belongs: readValue says so
      else out.push(...flatten(v as Record<string, unknown>, `${key}.`));
    } else out.push([key, v]);
  }
  return out;
}

function nest(values: Map<string, Value>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, v] of values) {
    const parts = key.split(".");
    let node = root;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = v;
  }
  return root;
}

/** Rules that span keys. */
function crossCheck(c: Config): void {
  for (const [section, t] of [
    ["bridge", c.bridge],
    ["builtin_pool", c.builtin_pool],
  ] as const) {
    if ((t.tls_cert === "") !== (t.tls_key === ""))
      throw new ConfigError(
        "E_CONFIG",
        `${section}.tls_cert and ${section}.tls_key go together: set both or neither`,
      );
  }
  try {
    new AddressSet(c.bridge.trusted_proxies);
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
    throw new ConfigError("E_CONFIG", `bridge.trusted_proxies: ${e.message}`);
  }
  if (c.bridge.stratum_tls_port !== 0 && c.bridge.tls_cert === "")
    throw new ConfigError("E_CONFIG", "bridge.stratum_tls_port needs bridge.tls_cert and bridge.tls_key");
  if (c.builtin_pool.tls_port !== 0 && c.builtin_pool.tls_cert === "")
    throw new ConfigError(
      "E_CONFIG",
      "builtin_pool.tls_port needs builtin_pool.tls_cert and builtin_pool.tls_key",
    );
  if (c.builtin_pool.daemon !== "" && c.builtin_pool.daemon_conf !== "")
    throw new ConfigError(
      "E_CONFIG",
      "builtin_pool.daemon and builtin_pool.daemon_conf: set one (the conf gives the URL and credentials)",
    );
  const real = c.upstream.pools.filter((p) => p !== BUILTIN_POOL);
  if (real.length > 0 && c.upstream.user.trim() === "") {
    throw new ConfigError(
      "E_CONFIG",
      `upstream.user is required for ${real[0]}: set it to your VRSC address (ADDRESS.WORKER), with --user, POOL_USER or config.toml`,
    );
  }
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === "object" && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

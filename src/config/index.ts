/** Configuration: the schema of every key and the one loader (flag > environment > file > default). */
export { ConfigError, type ConfigErrorCode } from "./fields.ts";
export { DEFAULT_CONFIG_FILE, loadConfig, type FlagValue, type LoadOptions } from "./load.ts";
export { BUILTIN_POOL, FIELDS, type Command, type Config, type Field, type FlagSpec } from "./schema.ts";

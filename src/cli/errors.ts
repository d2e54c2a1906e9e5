/**
 * Usage errors of the command line (exit code 2), and which coded errors from lower layers are
 * the user's to fix (also exit 2) rather than failures of vbridge (exit 1).
 */
import { CodedError } from "../util/errors.ts";

export type UsageErrorCode = "E_USAGE" | "E_UNKNOWN_OPTION" | "E_BAD_INPUT";

export class UsageError extends CodedError<UsageErrorCode> {}

/** Codes that mean "the invocation or its input is wrong": exit 2, one line. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  "E_USAGE",
  "E_UNKNOWN_OPTION",
  "E_BAD_INPUT",
  "E_IMPL_UNKNOWN",
  "E_IMPL_UNAVAILABLE",
  // configuration file, environment and flags (src/config/)
  "E_CONFIG",
  "E_CONFIG_FILE",
  // pool settings (src/upstream/options.ts)
  "E_POOL_URL",
  "E_POOL_CONFIG",
  "E_TLS_CA_FILE",
  "E_TLS_PIN_FORMAT",
  // miner settings (src/miner/options.ts)
  "E_MINER_OPTIONS",
  // bridge settings that only make sense together (src/bridge/options.ts)
  "E_BRIDGE_OPTIONS",
  // citty's own argument errors
  "EARG",
  "E_UNKNOWN_COMMAND",
  "E_NO_COMMAND",
]);

export function isUsageCode(code: string): boolean {
  return USAGE_CODES.has(code);
}

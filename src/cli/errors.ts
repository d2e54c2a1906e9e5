/**
 * Usage errors of the command line (exit code 2), and the test for exit 2: a coded error whose
 * class marks its code as the user's to fix (CodedError.usage: bad flags, settings or input, in
 * any layer), or one of citty's own argument errors.
 */
import { isCodedError, CodedError } from "../util/errors.ts";

export type UsageErrorCode = "E_USAGE" | "E_UNKNOWN_OPTION" | "E_BAD_INPUT";

export class UsageError extends CodedError<UsageErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<UsageErrorCode>([
    "E_USAGE",
    "E_UNKNOWN_OPTION",
    "E_BAD_INPUT",
  ]);
}

/** citty's argument errors (its CLIError is not a CodedError). */
const CITTY_USAGE_CODES: ReadonlySet<string> = new Set(["EARG", "E_UNKNOWN_COMMAND", "E_NO_COMMAND"]);

/** "The invocation or its input is wrong": exit 2, one line. */
export function isUsageError(e: unknown): boolean {
  if (isCodedError(e)) return e.usage;
  const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : "";
  return CITTY_USAGE_CODES.has(code);
}

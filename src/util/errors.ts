/**
 * Base class for every error vbridge raises on purpose.
 *
 * `code` is stable (tests and callers switch on it); `message` is prose for humans and may change.
 * Anything thrown that is not a CodedError is a programmer error and must never be swallowed.
 * Each layer says which of its codes are the user's to fix (`usageCodes`): the command line
 * answers those with one line and exit 2 instead of 1, without a list of other layers' codes.
 */
export class CodedError<C extends string = string> extends Error {
  /** Codes of this class that mean "a setting, flag or input is wrong" (exit 2). */
  static readonly usageCodes: ReadonlySet<string> = new Set();

  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The user's to fix: a bad setting, flag or input (its class lists the code in usageCodes). */
  get usage(): boolean {
    return (this.constructor as typeof CodedError).usageCodes.has(this.code);
  }
}

export function isCodedError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}

/**
 * Base class for every error vbridge raises on purpose.
 *
 * `code` is stable (tests and callers switch on it); `message` is prose for humans and may change.
 * Anything thrown that is not a CodedError is a programmer error and must never be swallowed.
 */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function isCodedError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}

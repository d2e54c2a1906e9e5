// errors.ts — the one error class the protocol layer throws for bad input from the wire.
//
// Every decoder in src/protocol either returns a typed value or throws a ProtocolError with a
// stable string `code` (STYLE.md principle 9): transports catch it once per inbound message and
// turn it into a protocol reply or a close; tests assert the code, never the prose. Misuse by our
// own code (wrong buffer sizes, impossible arguments) throws RangeError/TypeError instead, so a
// transport never mistakes a programmer error for a peer's.

import { CodedError } from "../util/errors.ts";

export type ProtocolErrorCode =
  // framing.ts
  | "E_LINE_TOO_LONG" // a line (or a partial line still waiting for "\n") is over the cap
  | "E_BUFFER_OVERFLOW" // more bytes buffered than the decoder's cap
  // jsonrpc.ts
  | "E_BAD_JSON" // not valid JSON
  | "E_NOT_OBJECT" // valid JSON, but not a JSON object (arrays/batches are not Stratum)
  | "E_NOT_RPC" // an object that is neither a request nor a response
  | "E_BAD_ID" // id is not a number, a string or null
  | "E_BAD_METHOD" // method is not a non-empty string
  | "E_BAD_ERROR" // the error member of a response has an unusable shape
  // typed messages
  | "E_BAD_PARAMS" // params of a known method have the wrong count, type, length or range
  | "E_BAD_RESULT" // the result of a response does not have the shape its request implies
  // value helpers
  | "E_BAD_HEX" // not an even-length hex string (or the wrong length)
  | "E_BAD_DIFFICULTY" // difficulty not a finite number > 0
  | "E_BAD_TARGET"; // target outside 0 .. 2^256-1

export class ProtocolError extends CodedError<ProtocolErrorCode> {
  constructor(
    code: ProtocolErrorCode,
    message: string,
    /** Machine-readable context (limits, lengths, the offending field); never secrets. */
    readonly detail: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, message);
  }
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}

// errors.ts — the downstream layer's own coded errors (STYLE.md principle 9) and the close code of
// each way the core ends a session. A peer's misbehaviour is never thrown past a connection: it
// becomes an error frame or a close with a CloseCode (src/protocol/close-codes.ts). These are
// failures of the servers themselves, raised by startDownstream.

import type { SessionEnd } from "../bridge/contract.ts";
import type { CloseCode } from "../protocol/close-codes.ts";
export type { CloseReason, RefusalCode } from "../protocol/close-codes.ts";
import { CodedError } from "../util/errors.ts";

export type DownstreamErrorCode =
  | "E_DOWNSTREAM_LISTEN" // the HTTP/WebSocket or Stratum port could not be opened
  | "E_DOWNSTREAM_OPTIONS"; // an option the servers cannot work with

export class DownstreamError extends CodedError<DownstreamErrorCode> {}

const END_CODES: Readonly<Record<SessionEnd["reason"], CloseCode>> = {
  "bridge-closing": "E_BRIDGE_CLOSING",
  "too-many-invalid": "E_TOO_MANY_INVALID",
  "rate-limited": "E_RATE_LIMITED",
  unauthorized: "E_UNAUTHORIZED",
};

/** The code a connection is closed with when the core ends its session, and the detail to log. */
export function sessionEndCode(e: SessionEnd): { code: CloseCode; detail: string } {
  return { code: END_CODES[e.reason], detail: "detail" in e ? e.detail : e.reason };
}

// errors.ts — the downstream layer's own coded errors (STYLE.md principle 9) and the words it
// closes connections with. A peer's misbehaviour is never thrown past a connection: it becomes an
// error frame or a close with a WsCloseCode (src/protocol/ws-errors.ts). These are failures of
// the servers themselves, raised by startDownstream.

import type { SessionEnd } from "../bridge/contract.ts";
import type { WsCloseCode } from "../protocol/ws-errors.ts";
import { CodedError } from "../util/errors.ts";

export type DownstreamErrorCode =
  | "E_DOWNSTREAM_LISTEN" // the HTTP/WebSocket or Stratum port could not be opened
  | "E_DOWNSTREAM_OPTIONS"; // an option the servers cannot work with

export class DownstreamError extends CodedError<DownstreamErrorCode> {}

/** Why a connection ended: the peer went away, or one of the coded reasons we close with. */
export type CloseReason = "peer" | WsCloseCode;

/** Refusals before a session exists (HTTP 403 for the Origin; the rest as a WebSocket close). */
export type RefusalCode = "E_ORIGIN" | "E_UNAUTHORIZED" | "E_TOO_MANY_CONNECTIONS" | "E_TOO_MANY_FROM_ADDRESS" | "E_BRIDGE_FULL" | "E_BRIDGE_CLOSING";

const END_CODES: Readonly<Record<SessionEnd["reason"], WsCloseCode>> = {
  "bridge-closing": "E_BRIDGE_CLOSING",
  "too-many-invalid": "E_TOO_MANY_INVALID",
  "rate-limited": "E_RATE_LIMITED",
  unauthorized: "E_UNAUTHORIZED",
};

/** The code a connection is closed with when the core ends its session, and the detail to log. */
export function sessionEndCode(e: SessionEnd): { code: WsCloseCode; detail: string } {
  return { code: END_CODES[e.reason], detail: "detail" in e ? e.detail : e.reason };
}

// ws-errors.ts — the stable error codes of the bridge's WebSocket protocols (msgpack and the seed's
// JSON), shared by both codecs, the transports and the browser client (docs/protocol.md §5).
//
// A code names one cause for good; tests and clients switch on it, never on the prose. Codes a
// decoder raises answer one bad frame (an error frame; the connection survives up to a threshold).
// The others end the connection: they travel as the WebSocket close reason, with the close code
// listed here, so a browser (which cannot see HTTP statuses of a failed upgrade) can tell why.

import { CodedError } from "../util/errors.ts";

/** Raised by the codecs: one frame was unusable. */
export type WsFrameErrorCode =
  | "E_BAD_FRAME" // not msgpack / not JSON, or not a map / object, or no type
  | "E_BAD_FIELD" // a known frame with a field of the wrong type, size or range
  | "E_UNKNOWN_TYPE" // a frame type this protocol does not have
  | "E_VERSION" // a msgpack frame of a protocol version this bridge does not speak (fatal)
  | "E_FRAME_KIND"; // a text frame on a msgpack connection, or binary on a JSON one

/** Why the bridge ends a connection (the WebSocket close reason; logs and metrics for Stratum). */
export type WsCloseCode =
  | "E_VERSION"
  | "E_TOO_MANY_BAD_FRAMES" // past the bad-frame threshold
  | "E_FRAME_TOO_LARGE" // a message over bridge.max_frame_bytes
  | "E_UNAUTHORIZED" // access token missing or wrong, or the worker was refused
  | "E_TOO_MANY_CONNECTIONS" // bridge.max_connections reached
  | "E_TOO_MANY_FROM_ADDRESS" // bridge.max_connections_per_ip reached
  | "E_RATE_LIMITED" // messages (or, said by the core, shares) faster than allowed
  | "E_BRIDGE_FULL" // the core has no nonce lease or upstream session for a new miner
  | "E_HANDSHAKE_TIMEOUT" // no hello / subscribe+authorize within bridge.handshake_timeout
  | "E_IDLE_TIMEOUT" // no message within bridge.idle_timeout
  | "E_TOO_MANY_INVALID" // the core ended the session: too many invalid shares
  | "E_SLOW_READER" // our outgoing buffer for it passed its cap (no close frame can get through)
  | "E_RELEASED" // Stratum only: the nonce lease changed and the miner cannot be told
  | "E_BRIDGE_CLOSING" // the bridge is stopping
  | "E_INTERNAL"; // a bug on our side while handling this connection (logged with its stack)

export type WsErrorCode = WsFrameErrorCode | WsCloseCode;

/** The WebSocket close code sent with each reason (4xxx: application range, RFC 6455 §7.4.2). */
export const WS_CLOSE_CODES: Readonly<Record<WsCloseCode, number>> = {
  E_VERSION: 4406,
  E_TOO_MANY_BAD_FRAMES: 4400,
  E_FRAME_TOO_LARGE: 1009, // RFC 6455 "message too big"; Bun uses it for its own payload cap too
  E_UNAUTHORIZED: 4401,
  E_TOO_MANY_CONNECTIONS: 4503,
  E_TOO_MANY_FROM_ADDRESS: 4429,
  E_RATE_LIMITED: 4429,
  E_BRIDGE_FULL: 4503,
  E_HANDSHAKE_TIMEOUT: 4408,
  E_IDLE_TIMEOUT: 4408,
  E_TOO_MANY_INVALID: 4403,
  E_SLOW_READER: 4508, // never seen by the peer: the socket is cut without a close frame
  E_RELEASED: 4409,
  E_BRIDGE_CLOSING: 1001, // RFC 6455 "going away"
  E_INTERNAL: 1011, // RFC 6455 "internal error"
};

export class WsFrameError extends CodedError<WsFrameErrorCode> {
  constructor(
    code: WsFrameErrorCode,
    message: string,
    /** Context for logs (field names, sizes); never frame contents. */
    readonly detail: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, message);
  }
}

export function isWsFrameError(e: unknown): e is WsFrameError {
  return e instanceof WsFrameError;
}

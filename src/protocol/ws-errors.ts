// ws-errors.ts — the stable error codes of the bridge's WebSocket protocols (msgpack and the seed's
// JSON), shared by both codecs, the transports and the browser client (docs/protocol.md §5).
//
// A code names one cause for good; tests and clients switch on it, never on the prose. Codes a
// decoder raises answer one bad frame (an error frame; the connection survives up to a threshold).
// The others end the connection: the close codes of every transport (close-codes.ts).

import { CodedError } from "../util/errors.ts";
import type { CloseCode } from "./close-codes.ts";

/** Raised by the codecs: one frame was unusable. */
export type WsFrameErrorCode =
  | "E_BAD_FRAME" // not msgpack / not JSON, or not a map / object, or no type
  | "E_BAD_FIELD" // a known frame with a field of the wrong type, size or range
  | "E_UNKNOWN_TYPE" // a frame type this protocol does not have
  | "E_VERSION" // a msgpack frame of a protocol version this bridge does not speak (fatal)
  | "E_FRAME_KIND"; // a text frame on a msgpack connection, or binary on a JSON one

/** Every code an error frame may carry: a frame's own, or the reason the connection is closing. */
export type WsErrorCode = WsFrameErrorCode | CloseCode;

export class WsFrameError extends CodedError<WsFrameErrorCode> {
  constructor(
    code: WsFrameErrorCode,
    message: string,
    /** Context for logs (field names, sizes); never frame contents. */
    readonly detail: Readonly<Record<string, unknown>> = {},
    /** The `i` of the msgpack share frame this error concerns (echoed in the error frame), if any. */
    readonly seq: number | null = null,
  ) {
    super(code, message);
  }
}

export function isWsFrameError(e: unknown): e is WsFrameError {
  return e instanceof WsFrameError;
}

// hex.ts — the shared hex helpers (src/util/hex.ts) as the protocol layer uses them: malformed hex
// from the wire is reported as the protocol's own coded error, E_BAD_HEX, like every other
// decoding failure here.

import { HexError, hexToBytes as decodeHex } from "../util/hex.ts";
import { ProtocolError } from "./errors.ts";

export * from "../util/hex.ts";

/** Decode hex (either case). Throws E_BAD_HEX; with `bytes`, the length must match exactly. Shadows
 * the star export's hexToBytes. */
export function hexToBytes(hex: string, bytes?: number): Uint8Array {
  try {
    return decodeHex(hex, bytes);
  } catch (e) {
    if (e instanceof HexError) throw new ProtocolError("E_BAD_HEX", e.message, { length: hex.length });
    throw e;
  }
}

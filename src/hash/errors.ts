/**
 * Coded errors of the hash layer. Codes are stable; callers and tests switch on them.
 */
import { CodedError } from "../util/errors.ts";
import { LANES_MAX, MIN_INPUT_BYTES } from "./abi.ts";

const U32_MAX = 0xffff_ffff;

export type HashErrorCode =
  | "E_NATIVE_LOAD" // libverushash missing or not loadable
  | "E_NATIVE_ABI" // libverushash built from another verushash.h
  | "E_NATIVE" // the library returned an error this wrapper did not expect (a bug)
  | "E_IMPL_UNKNOWN" // not one of auto|portable|aesni|armv8
  | "E_IMPL_UNAVAILABLE" // known, but this CPU (or this build) cannot run it
  | "E_INPUT_SHORT" // VerusHash 2.x is undefined below 32 bytes (spec §9 pitfall 7)
  | "E_HEADER_SIZE" // a block header must be exactly 1487 bytes
  | "E_TAIL_SIZE" // a nonce tail must be exactly 15 bytes
  | "E_TARGET_SIZE" // a target must be exactly 32 bytes
  | "E_OUT_SIZE" // an output buffer must hold 32 bytes
  | "E_RANGE" // scan range outside the 32-bit nonce counter, or bad max_found
  | "E_NO_JOB" // jobHash/scan before prepareJob
  | "E_LANES" // a scan lane count outside 0 (the fastest) .. LANES_MAX
  | "E_CLOSED"; // the Hasher was closed

export class HashError extends CodedError<HashErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<HashErrorCode>([
    "E_IMPL_UNKNOWN",
    "E_IMPL_UNAVAILABLE",
    "E_LANES",
  ]);
}

/** The argument checks Hasher and WasmHasher share, so that both throw the same codes. */
export function checkSize(
  b: Uint8Array,
  size: number,
  code: "E_HEADER_SIZE" | "E_TAIL_SIZE" | "E_TARGET_SIZE",
  what: string,
): void {
  if (b.length !== size) throw new HashError(code, `${what} is ${b.length} bytes; it must be ${size}`);
}

export function checkInput(input: Uint8Array): void {
  if (input.length < MIN_INPUT_BYTES)
    throw new HashError(
      "E_INPUT_SHORT",
      `input is ${input.length} bytes; VerusHash 2.2 needs at least ${MIN_INPUT_BYTES}`,
    );
}

/** A scan stays inside the 32-bit nonce counter and returns 1..maxFoundCap nonces. */
export function checkRange(start: number, count: number, maxFound: number, maxFoundCap = U32_MAX): void {
  const isU32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= U32_MAX;
  if (!isU32(start) || !isU32(count) || start + count > 2 ** 32) {
    throw new HashError(
      "E_RANGE",
      `scan range start=${start} count=${count} leaves the 32-bit nonce counter`,
    );
  }
  if (!isU32(maxFound) || maxFound === 0 || maxFound > maxFoundCap) {
    throw new HashError("E_RANGE", `max found must be 1..${maxFoundCap} (got ${maxFound})`);
  }
}

/** A lane count for vh_ctx_set_lanes: 0 (the implementation's fastest) or 1..LANES_MAX. */
export function checkLanes(lanes: number): void {
  if (!Number.isInteger(lanes) || lanes < 0 || lanes > LANES_MAX) {
    throw new HashError("E_LANES", `lanes must be 0 (the fastest) or 1..${LANES_MAX} (got ${lanes})`);
  }
}

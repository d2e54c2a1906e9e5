/**
 * Coded errors of the hash layer. Codes are stable; callers and tests switch on them.
 */
import { CodedError } from "../util/errors.ts";

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
  | "E_CLOSED"; // the Hasher was closed

export class HashError extends CodedError<HashErrorCode> {
  static override readonly usageCodes: ReadonlySet<string> = new Set<HashErrorCode>([
    "E_IMPL_UNKNOWN",
    "E_IMPL_UNAVAILABLE",
  ]);
}

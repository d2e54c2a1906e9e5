// pbaas.ts — assembling the 1487-byte hash input and PBaaS canonical clearing (verushash.md §1, §3);
// the sizes, offsets and the miner rule itself are layout.ts's.
//
// Pure byte shuffling: the BLAKE2b pre-header hash and VerusHash itself live in the native
// library, so callers inject them (validate.ts). Which clearing rule applies where is
// verushash.md §3.6: the miner rule for miners and the bridge, the pool rule for a pool that
// knows the daemon's header nonce.

import { bytesEqual, isAllZero } from "./hex.ts";
import {
  BLOCK_HEADER_BYTES,
  CLEARED_RANGES,
  FIRST_PREHEADER_HASH_OFFSET,
  HASH_INPUT_BYTES,
  pbaasHeaderCountOf,
  PREHEADER_BYTES,
  SOLUTION_BYTES,
  SOLUTION_COMPACT_SIZE,
  SOLUTION_OFFSET,
  SOLUTION_SIZE_OFFSET,
  solutionVersionOf,
} from "./layout.ts";

/** header(140) ‖ fd4005 ‖ solution(1344): the 1487 bytes VerusHash covers. */
export function assembleInput(header: Uint8Array, solution: Uint8Array): Uint8Array {
  if (header.length !== BLOCK_HEADER_BYTES)
    throw new RangeError(`header must be ${BLOCK_HEADER_BYTES} bytes, got ${header.length}`);
  if (solution.length !== SOLUTION_BYTES)
    throw new RangeError(`solution must be ${SOLUTION_BYTES} bytes, got ${solution.length}`);
  const out = new Uint8Array(HASH_INPUT_BYTES);
  out.set(header, 0);
  out.set(SOLUTION_COMPACT_SIZE, SOLUTION_SIZE_OFFSET);
  out.set(solution, SOLUTION_OFFSET);
  return out;
}

function checkInput(input: Uint8Array): void {
  if (input.length !== HASH_INPUT_BYTES)
    throw new RangeError(`hash input must be ${HASH_INPUT_BYTES} bytes, got ${input.length}`);
}

/** Pool rule precondition (§3.4, verushash-node hash2b2): sv > 6 and numPBaaSHeaders > 0 → check. */
export function poolRuleChecks(input: Uint8Array): boolean {
  checkInput(input);
  return solutionVersionOf(input) > 6 && pbaasHeaderCountOf(input) > 0;
}

/**
 * The 196-byte pre-header (§3.1): prev ‖ merkle ‖ sapling ‖ nNonce ‖ nBits ‖ prevMMR ‖ blockMMR.
 * Note the nonce comes BEFORE nBits, unlike header order.
 */
export function preHeaderOf(input: Uint8Array): Uint8Array {
  checkInput(input);
  const pre = new Uint8Array(PREHEADER_BYTES);
  pre.set(input.subarray(4, 100), 0);
  pre.set(input.subarray(108, 140), 96);
  pre.set(input.subarray(104, 108), 128);
  pre.set(input.subarray(SOLUTION_OFFSET + 8, SOLUTION_OFFSET + 72), 132);
  return pre;
}

/** The first PBaaS header's hashPreHeader (solution bytes 92..123), as a view into `input`. */
export function firstPreHeaderHashOf(input: Uint8Array): Uint8Array {
  checkInput(input);
  const off = SOLUTION_OFFSET + FIRST_PREHEADER_HASH_OFFSET;
  return input.subarray(off, off + 32);
}

/**
 * A cleared copy (§3.2): zero 4..99 (prev, merkle, sapling), 104..139 (nBits, nNonce) and
 * 151..214 (the two MMR roots). nVersion, nTime, the descriptor, the PBaaS headers and the tail stay.
 */
export function clearedCopy(input: Uint8Array): Uint8Array {
  checkInput(input);
  return clearInPlace(Uint8Array.from(input));
}

/** The same clearing on `input` itself (a scratch buffer nothing else holds). */
export function clearInPlace(input: Uint8Array): Uint8Array {
  for (const [from, to] of CLEARED_RANGES) input.fill(0, from, to);
  return input;
}

/** What the pool rule does with an input whose precondition holds, given the pre-header hash. */
export type PoolRuleOutcome = "already-cleared" | "clear" | "mismatch";

/**
 * Pool rule decision (§3.4): an all-zero pre-header was cleared already (hash as is); a pre-header
 * hashing to the first header's hashPreHeader is cleared; anything else hashes to ff…ff (rejected).
 */
export function poolRuleOutcome(
  input: Uint8Array,
  preHeaderHash: (input: Uint8Array) => Uint8Array,
): PoolRuleOutcome {
  if (isAllZero(preHeaderOf(input))) return "already-cleared";
  const h = preHeaderHash(input);
  const want = firstPreHeaderHashOf(input);
  if (h.length !== 32) throw new RangeError(`pre-header hash must be 32 bytes, got ${h.length}`);
  return bytesEqual(h, want) ? "clear" : "mismatch";
}

// layout.ts — the one home of the Verus hash-input byte layout: every size and offset that the hash
// layer, the Stratum and WebSocket codecs, the share validator and the browser miner use. No imports
// (web/ bundles it as is). Two sizes are easy to confuse, so neither is called "header" alone:
// BLOCK_HEADER_BYTES (140, the block header proper) and HASH_INPUT_BYTES (1487, what VerusHash
// covers: the header, the solution's compact size and the solution).
//
//   0 ............ 107 | 108 .. 139 | 140 .. 142 | 143 ........................ 1471 | 1472 .. 1486
//   header head         | nNonce     | fd 40 05   | solution (template) ...            | nonce tail
//   \_____________ BLOCK_HEADER_BYTES _/                                              (15 bytes)
//   \______________________________ JOB_PREFIX_BYTES: absorbed once per job _________/
//
// Sources: verushash.md §1 (layout), §1.3 (why the tail is 15 bytes), §3.2 and §3.5 (clearing and the
// miner rule), §7.3; verus-stratum.md §3.6 (the submitted solution) and §4 (building the input).

/** The block header proper, nVersion..nNonce (verushash.md §1.1). */
export const BLOCK_HEADER_BYTES = 140;
/** nTime and nBits, uint32 LE each (§1.1). */
export const NTIME_OFFSET = 100;
export const NBITS_OFFSET = 104;
/** nNonce: extranonce1 ‖ extranonce2 in Stratum (§1.1). */
export const NONCE_OFFSET = 108;
export const NONCE_BYTES = 32;
/** Header bytes 0..107, everything before the nonce: a WebSocket job frame's `h` (docs/protocol.md §3). */
export const HEADER_HEAD_BYTES = NONCE_OFFSET;
/** The solution's compact size, fd 40 05 = 1344, at input byte 140 (§1.1). */
export const SOLUTION_SIZE_OFFSET = BLOCK_HEADER_BYTES;
export const SOLUTION_COMPACT_SIZE: readonly number[] = Object.freeze([0xfd, 0x40, 0x05]);
/** The solution, input bytes 143..1486 (§1.2). */
export const SOLUTION_OFFSET = 143;
export const SOLUTION_BYTES = 1344;
/** Everything VerusHash covers: 140 + 3 + 1344 (§1). */
export const HASH_INPUT_BYTES = 1487;
/** Input bytes 0..1471, 46 full 32-byte chunks, absorbed once per job (§1.3). */
export const JOB_PREFIX_BYTES = 1472;
/** The nonce space miners vary: input bytes 1472..1486 = solution bytes 1329..1343 (§1.3). */
export const NONCE_TAIL_OFFSET = JOB_PREFIX_BYTES;
export const NONCE_TAIL_BYTES = 15;
export const SOLUTION_TAIL_OFFSET = SOLUTION_BYTES - NONCE_TAIL_BYTES;
/** The uint32 LE counter of the mining scan (vh_scan, ccminer 3.8.3): tail bytes 11..14 (§1.4). */
export const TAIL_COUNTER_OFFSET = 11;
/** A hash, and a target compared with it, as 32 little-endian bytes (§6). */
export const HASH_BYTES = 32;
/** Solution offsets: the version (uint32 LE), numPBaaSHeaders, and the first PBaaS header's hashPreHeader (§1.2). */
export const SOLUTION_VERSION_OFFSET = 0;
export const PBAAS_HEADER_COUNT_OFFSET = 5;
export const FIRST_PREHEADER_HASH_OFFSET = 92;
/** The PBaaS pre-header that hashPreHeader is the BLAKE2b of (§3.1). */
export const PREHEADER_BYTES = 196;
/** Input byte ranges [from, to) that PBaaS clearing zeroes (§3.2): prev, merkle, sapling; nBits, nNonce; the two MMR roots. */
export const CLEARED_RANGES: readonly (readonly [number, number])[] = Object.freeze([
  [4, 100],
  [104, 140],
  [SOLUTION_OFFSET + 8, SOLUTION_OFFSET + 72],
] as const);
/** mining.submit param 4: hex of "fd4005" ‖ the 1344 solution bytes (verus-stratum.md §3.6). */
export const SUBMITTED_SOLUTION_HEX_CHARS = 2 * (SOLUTION_COMPACT_SIZE.length + SOLUTION_BYTES);

/** Solution version: uint32 LE at solution byte 0 (input byte 143). */
export function solutionVersionOf(input: Uint8Array): number {
  const at = SOLUTION_OFFSET + SOLUTION_VERSION_OFFSET;
  return (input[at]! | (input[at + 1]! << 8) | (input[at + 2]! << 16) | (input[at + 3]! << 24)) >>> 0;
}

/** numPBaaSHeaders: solution byte 5 (input byte 148). */
export function pbaasHeaderCountOf(input: Uint8Array): number {
  return input[SOLUTION_OFFSET + PBAAS_HEADER_COUNT_OFFSET]!;
}

/**
 * The miner rule (verushash.md §3.5; ccminer 3.8.3, bloxminer, the bridge): a hash input with
 * solution version ≥ 7 and at least one PBaaS header is hashed after clearing. Anything that is not
 * a 1487-byte input is not a block header, and is never cleared.
 */
export function minerRuleClears(input: Uint8Array): boolean {
  return input.length === HASH_INPUT_BYTES && solutionVersionOf(input) >= 7 && pbaasHeaderCountOf(input) > 0;
}

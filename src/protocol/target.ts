// target.ts — difficulty ⇄ 256-bit target arithmetic, as Verus pools do it (verus-stratum.md §3.4,
// §6; verushash.md §6).
//
// Targets, hashes-as-numbers and comparisons are exact bigints. Difficulties are JS numbers on
// purpose: the node-stratum-pool family computes `diff1 / difficulty` and `diff1 / hash` in double
// precision with diff1 written as the literal 0x0007ff…ff (which a double rounds to exactly 2^243).
// Reproducing that rounding is what makes our set_target bytes and our "low difficulty share of X"
// text identical to a real pool's; the one double→bigint step is exact.

import { ProtocolError } from "./errors.ts";
import { bytesToHex, hexToBytes } from "./hex.ts";

/** 0x0007ffff…ff: the difficulty-1 target of the Verus pools (≈ 2^243). */
export const DIFF1 = (1n << 243n) - 1n;
/** The largest 256-bit target: every hash meets it. */
export const MAX_TARGET = (1n << 256n) - 1n;

// The pools' JS literal 0x0007ff…ff as a double is exactly 2^243.
const DIFF1_DOUBLE = Number(DIFF1);
const TWO_POW_256 = 2 ** 256;

function checkTarget(target: bigint): void {
  if (target < 0n || target > MAX_TARGET) {
    throw new ProtocolError("E_BAD_TARGET", "target outside 0 .. 2^256-1", { target: target.toString(16) });
  }
}

/**
 * Share target for a pool difficulty: floor(diff1 / difficulty) computed as the pools compute it
 * (one double division), converted exactly. Difficulty 1 → 0x0008…, 2 → 0x0004…, 8192 → 0x0000004….
 * Tiny difficulties (e.g. 0.0000001) saturate at 2^256−1 instead of overflowing 256 bits.
 */
export function difficultyToTarget(difficulty: number): bigint {
  if (typeof difficulty !== "number" || !Number.isFinite(difficulty) || difficulty <= 0) {
    throw new ProtocolError("E_BAD_DIFFICULTY", "difficulty must be a finite number > 0", { difficulty });
  }
  const q = DIFF1_DOUBLE / difficulty;
  if (q >= TWO_POW_256) return MAX_TARGET;
  return BigInt(Math.floor(q));
}

/** Pool difficulty of a share target: diff1 / target in double precision (the inverse of the above). */
export function targetToDifficulty(target: bigint): number {
  checkTarget(target);
  if (target === 0n) throw new ProtocolError("E_BAD_TARGET", "a zero target has no difficulty");
  return DIFF1_DOUBLE / Number(target);
}

/** 64 lowercase hex digits, big-endian: the mining.set_target parameter. */
export function targetToHex(target: bigint): string {
  checkTarget(target);
  return target.toString(16).padStart(64, "0");
}

/** Parse a set_target parameter: exactly 64 hex digits, big-endian. */
export function targetFromHex(hex: string): bigint {
  hexToBytes(hex, 32); // strictness: length and digits
  return BigInt("0x" + hex);
}

/** The 32 little-endian bytes the native scan takes (target[31] most significant). */
export function targetToLE(target: bigint): Uint8Array {
  checkTarget(target);
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++)
    view.setBigUint64(8 * i, (target >> BigInt(64 * i)) & 0xffffffffffffffffn, true);
  return out;
}

/** LE256 of 32 bytes: how hashes (memory order, hash[31] most significant) and LE targets compare. */
export function leBytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length !== 32) throw new RangeError(`expected 32 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 32);
  return (
    (view.getBigUint64(24, true) << 192n) |
    (view.getBigUint64(16, true) << 128n) |
    (view.getBigUint64(8, true) << 64n) |
    view.getBigUint64(0, true)
  );
}

/** Display order of a hash (what explorers show and what compares with a set_target hex). */
export function hashToDisplayHex(hash: Uint8Array): string {
  return bytesToHex(Uint8Array.from(hash).reverse());
}

/** True when LE256(hash) ≤ target (verushash.md §6). */
export function meetsTarget(hash: Uint8Array, target: bigint): boolean {
  return leBytesToBigInt(hash) <= target;
}

/** The same test against a 32-byte little-endian target (targetToLE), without a bigint: the hot
 * path of share checks. Byte 31 is the most significant, as in the native scan. */
export function meetsTargetLE(hash: Uint8Array, targetLE: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const h = hash[i]!;
    const t = targetLE[i]!;
    if (h !== t) return h < t;
  }
  return true;
}

/** Share difficulty by the spec's formula: diff1 / LE256(hash), correctly rounded. Zero hash → Infinity. */
export function shareDifficulty(hash: Uint8Array): number {
  return DIFF1_DOUBLE / Number(leBytesToBigInt(hash));
}

const POOL_HEX_DIGITS = 12;

/**
 * Share difficulty exactly as current v-nomp computes, compares and prints it ("low difficulty
 * share of X"): a hash above 2^53 − 1 is first cut to its 12 most significant hex digits (the
 * rest zeroed), then diff1 / that, in double precision. Differs from shareDifficulty() in the last
 * few digits only — but those digits are in the reject text. Checked against both low-difficulty
 * replies in the transcripts (0.00028299997610799595, 0.00023144239111018048).
 */
export function poolShareDifficulty(hash: Uint8Array): number {
  if (hash.length !== 32) throw new RangeError(`expected 32 bytes, got ${hash.length}`);
  // The same arithmetic without a bigint (one verdict per share): the top byte and its nibbles.
  let top = 31;
  while (top >= 0 && hash[top] === 0) top--;
  if (top < 0) return Infinity;
  if (top < 6 || (top === 6 && hash[6]! < 0x20)) return DIFF1_DOUBLE / leNumber(hash, 0, top + 1); // < 2^53: exact
  const digits = 2 * top + (hash[top]! >= 0x10 ? 2 : 1); // hex digits of the value
  const shift = 4 * (digits - POOL_HEX_DIGITS);
  // value >> shift: 12 hex digits (48 bits), from 6 whole bytes or, half a byte off, 6 + a nibble.
  const at = shift >> 3;
  const kept = shift % 8 === 0 ? leNumber(hash, at, 6) : leNumber(hash, at + 1, 6) * 16 + (hash[at]! >> 4);
  return DIFF1_DOUBLE / (kept * 2 ** shift);
}

/** Little-endian unsigned integer of `n` ≤ 7 bytes at `at` (exact below 2^53). */
function leNumber(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  return v;
}

/**
 * The difficulty ccminer 3.x prints for a target (equi-stratum `target_to_diff_equi`):
 * 0xffff0000 / m, with m = little-endian target bytes 27..30 as an integer. About 32 × the pool
 * difficulty: pool diff 2 (target 0004…) shows as 63.999, 8192 as 262140 (verus-stratum.md §3.4).
 */
export function ccminerDisplayDifficulty(target: bigint): number {
  checkTarget(target);
  const m = Number((target >> 216n) & 0xffffffffn);
  return m === 0 ? 0 : 0xffff0000 / m;
}

/** The Bitcoin-style difficulty bloxminer prints: 0xffff·2^208 / target. */
export function bitcoinStyleDifficulty(target: bigint): number {
  checkTarget(target);
  if (target === 0n) return Infinity;
  return (0xffff * 2 ** 208) / Number(target);
}

/**
 * Block target from compact nBits (verushash.md §6): mantissa · 256^(exponent−3).
 * A set sign bit or a result over 256 bits is E_BAD_TARGET.
 */
export function compactToTarget(nBits: number): bigint {
  const bits = nBits >>> 0;
  if (bits & 0x00800000)
    throw new ProtocolError("E_BAD_TARGET", "nBits has the sign bit set", { nBits: bits });
  const mantissa = BigInt(bits & 0x007fffff);
  const exponent = bits >>> 24;
  const target =
    exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
  checkTarget(target);
  return target;
}

/** Network difficulty as these pools print it: diff1 / target(nBits). Bits 1b026205 ≈ 14 419 362 941. */
export function networkDifficulty(nBits: number): number {
  return targetToDifficulty(compactToTarget(nBits));
}

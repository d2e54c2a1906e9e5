/**
 * The nonce space of one miner process: the 15-byte tail (input bytes 1472..1486) each worker
 * hashes, and the extranonce2 submitted with it. Pure; the workers and the main thread share it.
 *
 *   tail = extranonce1 (L bytes) ‖ worker (1 byte) ‖ round (10 − L bytes, LE) ‖ counter (uint32 LE)
 *          t[0 .. L−1]            t[L]               t[L+1 .. 10]              t[11..14], vh_scan's
 *
 * - The pool's extranonce1 comes first and whole: on PBaaS jobs the header nonce is cleared before
 *   hashing, so the tail is all that makes work unique, and v-nomp rejects a share whose last 15
 *   bytes do not contain extranonce1 ("pool nonce missing", verus-stratum.md §4.1). This is the
 *   ccminer 3.8.3 layout (verushash.md §1.4) with our own bytes after extranonce1.
 * - One byte of worker index keeps threads apart; the round bytes give each worker 2^32 fresh
 *   counters per round. A worker's (round, counter) only moves forward for the life of the process,
 *   across jobs too, so a job the pool re-sends unchanged is never hashed at the same tail twice.
 * - extranonce2 is all zeros. Every attempt differs in the tail already; on pre-PBaaS jobs the
 *   header nonce (xn1 ‖ xn2) is hashed as is, so a constant xn2 keeps bytes 0..1471 the same for
 *   every worker (one prepared job, one cached key for re-verification on the main thread); and the
 *   pool's duplicate check on xn1 + xn2 + solution sees the tail. Mirroring the tail into xn2, as
 *   ccminer does, would change nothing a pool checks.
 */
import { NONCE_TAIL_BYTES, TAIL_COUNTER_OFFSET } from "../hash/index.ts";
import { NONCE_BYTES } from "../protocol/index.ts";
import { MinerError } from "./errors.ts";

export const WORKER_BYTES = 1;
/** One worker-index byte: at most 256 threads. */
export const MAX_THREADS = 256;
/** At least one round byte, or a worker would have nothing to move on to after 2^32 nonces. */
const MIN_ROUND_BYTES = 1;
/** 11 − 1 − 1: the longest extranonce1 that leaves room for our bytes before the counter. */
export const MAX_EXTRANONCE1_BYTES = TAIL_COUNTER_OFFSET - WORKER_BYTES - MIN_ROUND_BYTES;
/** Rounds wrap here at the latest, so that round numbers stay exact doubles (2^80 nonces: never). */
const MAX_ROUNDS = 2 ** 48;

export interface NonceLayout {
  readonly extranonce1: Uint8Array;
  /** 32 − L zero bytes. */
  readonly extranonce2: Uint8Array;
  readonly roundBytes: number;
  /** Distinct rounds per worker before the round wraps: 256^roundBytes (capped at 2^48). */
  readonly rounds: number;
}

/** Throws E_MINER_XN1_TOO_LONG when the pool's extranonce1 leaves no room for our bytes. */
export function roundBytesFor(extranonce1Length: number): number {
  if (extranonce1Length > MAX_EXTRANONCE1_BYTES) {
    throw new MinerError(
      "E_MINER_XN1_TOO_LONG",
      `the pool's extranonce1 is ${extranonce1Length} bytes; at most ${MAX_EXTRANONCE1_BYTES} fit in the ` +
        `${NONCE_TAIL_BYTES}-byte tail before the worker byte, a round byte and the 4-byte counter`,
    );
  }
  return TAIL_COUNTER_OFFSET - extranonce1Length - WORKER_BYTES;
}

export function nonceLayout(extranonce1: Uint8Array): NonceLayout {
  const roundBytes = roundBytesFor(extranonce1.length);
  return Object.freeze({
    extranonce1: Uint8Array.from(extranonce1),
    extranonce2: new Uint8Array(NONCE_BYTES - extranonce1.length),
    roundBytes,
    rounds: roundsOf(roundBytes),
  });
}

export function roundsOf(roundBytes: number): number {
  return Math.min(256 ** roundBytes, MAX_ROUNDS);
}

/**
 * Writes extranonce1, the worker byte and `round` (modulo the rounds that fit) into `tail`, and
 * zeroes the counter (vh_scan writes it). Throws E_MINER_XN1_TOO_LONG as roundBytesFor.
 */
export function fillTail(tail: Uint8Array, extranonce1: Uint8Array, worker: number, round: number): void {
  if (tail.length !== NONCE_TAIL_BYTES) throw new RangeError(`tail must be ${NONCE_TAIL_BYTES} bytes`);
  if (!Number.isInteger(worker) || worker < 0 || worker >= MAX_THREADS)
    throw new RangeError(`worker index must be 0..${MAX_THREADS - 1}, got ${worker}`);
  if (!Number.isInteger(round) || round < 0)
    throw new RangeError(`round must be a whole number, got ${round}`);
  const roundBytes = roundBytesFor(extranonce1.length);
  const l = extranonce1.length;
  tail.fill(0);
  tail.set(extranonce1, 0);
  tail[l] = worker;
  let r = round % roundsOf(roundBytes);
  for (let i = 0; i < roundBytes; i++) {
    tail[l + WORKER_BYTES + i] = r % 256;
    r = Math.floor(r / 256);
  }
}

/** The tail of one attempt: what a worker hashes for (worker, round, counter). */
export function tailFor(extranonce1: Uint8Array, worker: number, round: number, counter: number): Uint8Array {
  const tail = new Uint8Array(NONCE_TAIL_BYTES);
  fillTail(tail, extranonce1, worker, round);
  new DataView(tail.buffer).setUint32(TAIL_COUNTER_OFFSET, counter, true);
  return tail;
}

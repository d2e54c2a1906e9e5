// job.ts — a mining.notify turned into work: the bytes a miner hashes for a given extranonce1,
// extranonce2 and 15-byte tail (verus-stratum.md §4), the submit it sends back, and the facts the
// share validator needs (nTime, solution version, block target, the daemon nonce if known).

import { hexToBytes, bytesToHex, readU32LE } from "./hex.ts";
import type { SubmitParams } from "./miner-messages.ts";
import type { Notify } from "./notify.ts";
import {
  BLOCK_HEADER_BYTES,
  HASH_INPUT_BYTES,
  NONCE_BYTES,
  NONCE_OFFSET,
  NONCE_TAIL_BYTES,
  NONCE_TAIL_OFFSET,
  SOLUTION_BYTES,
  SOLUTION_SIZE_OFFSET,
} from "./layout.ts";
import { assembleInput } from "./pbaas.ts";
import { compactToTarget, MAX_TARGET, targetToLE } from "./target.ts";

export interface JobOptions {
  /**
   * The daemon's header nonce in header order (getblocktemplate `nonce`, byte-reversed), when this
   * job came from our own daemon or synthetic source. Pools hash solution-version > 6 shares with it
   * and check the PBaaS pre-header (the "pool" rule of validate.ts).
   */
  daemonNonce?: Uint8Array;
  /** Block-candidate target: GBT `target`, or the easier `mergeminebits` target. Default: from nBits. */
  blockTarget?: bigint;
}

export class Job {
  readonly id: string;
  readonly notify: Notify;
  /** nTime as the number the header carries (notify hex is little-endian). */
  readonly nTime: number;
  readonly nBits: number;
  /** uint32 LE of template bytes 0..3, and those 8 hex digits (what a submit must repeat). */
  readonly solutionVersion: number;
  readonly solutionVersionHex: string;
  /** numPBaaSHeaders of the template (solution byte 5). */
  readonly pbaasHeaderCount: number;
  readonly blockTarget: bigint;
  /** blockTarget as 32 LE bytes (meetsTargetLE): the per-share block test without a bigint. */
  readonly blockTargetLE: Uint8Array;
  readonly daemonNonce: Uint8Array | null;
  /** Header bytes 0..107: version ‖ prev ‖ merkle ‖ sapling ‖ nTime ‖ nBits. */
  readonly #head: Uint8Array;
  /** notify param 8 hex-decoded into a zeroed 1344-byte buffer (verus-stratum.md §3.5). */
  readonly #template: Uint8Array;
  /** The 1487-byte input with a zero nonce and a zero tail, made at the first share (copyInputInto). */
  #input: Uint8Array | null = null;
  /** Header bytes 0..107 (the work without the nonce), for keys that must tell two jobs apart. */
  get head(): Uint8Array {
    return this.#head;
  }

  constructor(notify: Notify, options: JobOptions = {}) {
    this.id = notify.jobId;
    this.notify = notify;
    const head = hexToBytes(
      notify.version +
        notify.prevHash +
        notify.merkleRoot +
        notify.finalSaplingRoot +
        notify.nTime +
        notify.nBits,
      NONCE_OFFSET,
    );
    this.#head = head;
    this.nTime = readU32LE(head, 100);
    this.nBits = readU32LE(head, 104);
    const solution = hexToBytes(notify.solution);
    if (solution.length > SOLUTION_BYTES)
      throw new RangeError(`solution template longer than ${SOLUTION_BYTES} bytes`);
    this.#template = new Uint8Array(SOLUTION_BYTES);
    this.#template.set(solution);
    this.solutionVersion = readU32LE(this.#template, 0);
    this.solutionVersionHex = bytesToHex(this.#template.subarray(0, 4));
    this.pbaasHeaderCount = this.#template[5]!;
    if (options.daemonNonce !== undefined && options.daemonNonce.length !== NONCE_BYTES) {
      throw new RangeError(`daemon nonce must be ${NONCE_BYTES} bytes`);
    }
    this.daemonNonce = options.daemonNonce === undefined ? null : Uint8Array.from(options.daemonNonce);
    this.blockTarget = options.blockTarget ?? compactToTarget(this.nBits);
    // A target past 2^256 − 1 (a garbage nBits) is met by every hash, as is the largest one.
    this.blockTargetLE = targetToLE(
      this.blockTarget > MAX_TARGET ? MAX_TARGET : this.blockTarget < 0n ? 0n : this.blockTarget,
    );
  }

  /** Miner rule (verushash.md §3.5): this job's shares are hashed after PBaaS clearing. */
  get pbaasCleared(): boolean {
    return this.solutionVersion >= 7 && this.pbaasHeaderCount > 0;
  }

  /** A copy of the padded 1344-byte solution template. */
  template(): Uint8Array {
    return Uint8Array.from(this.#template);
  }

  /** The 140-byte header with the given 32-byte nonce (xn1 ‖ xn2, or the daemon's). */
  header(nonce: Uint8Array): Uint8Array {
    if (nonce.length !== NONCE_BYTES)
      throw new RangeError(`nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
    const h = new Uint8Array(BLOCK_HEADER_BYTES);
    h.set(this.#head, 0);
    h.set(nonce, NONCE_OFFSET);
    return h;
  }

  /** The template with its last 15 bytes replaced by `tail`. */
  solution(tail: Uint8Array): Uint8Array {
    if (tail.length !== NONCE_TAIL_BYTES)
      throw new RangeError(`tail must be ${NONCE_TAIL_BYTES} bytes, got ${tail.length}`);
    const s = Uint8Array.from(this.#template);
    s.set(tail, SOLUTION_BYTES - NONCE_TAIL_BYTES);
    return s;
  }

  /**
   * Writes this job's 1487-byte input into `out` with a zero nonce and a zero tail: every share
   * of the job starts from these bytes, then gets its nonce and tail (or its whole solution).
   */
  copyInputInto(out: Uint8Array): void {
    if (out.length !== HASH_INPUT_BYTES)
      throw new RangeError(`input must be ${HASH_INPUT_BYTES} bytes, got ${out.length}`);
    this.#input ??= assembleInput(
      this.header(new Uint8Array(NONCE_BYTES)),
      this.solution(new Uint8Array(NONCE_TAIL_BYTES)),
    );
    out.set(this.#input);
  }

  /** Whether `submitted` ("fd4005" ‖ solution, input bytes 140..1486) is this job's template up to the tail. */
  sameTemplate(submitted: Uint8Array): boolean {
    const input = this.#input ?? (this.copyInputInto(new Uint8Array(HASH_INPUT_BYTES)), this.#input!);
    if (submitted.length !== HASH_INPUT_BYTES - SOLUTION_SIZE_OFFSET) return false;
    return rangesEqual(submitted, 0, input, SOLUTION_SIZE_OFFSET, NONCE_TAIL_OFFSET - SOLUTION_SIZE_OFFSET);
  }

  /** The 1487 uncleared bytes a miner hashes (clearing, if any, is the hasher's business). */
  hashInput(extranonce1: Uint8Array, extranonce2: Uint8Array, tail: Uint8Array): Uint8Array {
    return assembleInput(this.header(nonceOf(extranonce1, extranonce2)), this.solution(tail));
  }

  /** The submit for a found tail: nTime verbatim, the uncleared solution with "fd4005" in front. */
  submitParams(worker: string, extranonce2: Uint8Array, tail: Uint8Array): SubmitParams {
    return {
      worker,
      jobId: this.id,
      nTime: this.notify.nTime,
      extranonce2: bytesToHex(extranonce2),
      solution: "fd4005" + bytesToHex(this.solution(tail)),
    };
  }
}

const nativeCompare = (globalThis as { Buffer?: { prototype: { compare: Function } } }).Buffer?.prototype
  .compare;

/** a[aAt .. aAt+n) = b[bAt .. bAt+n): natively where there is a Buffer (≈ 30× a JavaScript loop). */
function rangesEqual(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  if (nativeCompare !== undefined) return nativeCompare.call(a, b, bAt, bAt + n, aAt, aAt + n) === 0;
  for (let i = 0; i < n; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

/** nNonce = extranonce1 ‖ extranonce2, which must fill exactly 32 bytes. */
export function nonceOf(extranonce1: Uint8Array, extranonce2: Uint8Array): Uint8Array {
  if (extranonce1.length + extranonce2.length !== NONCE_BYTES) {
    throw new RangeError(
      `extranonce1 + extranonce2 must be ${NONCE_BYTES} bytes, got ${extranonce1.length + extranonce2.length}`,
    );
  }
  const n = new Uint8Array(NONCE_BYTES);
  n.set(extranonce1, 0);
  n.set(extranonce2, extranonce1.length);
  return n;
}

/**
 * The same work under whatever id and clean flag: a pool re-sending a job (a new difficulty, a
 * reconnect) is the same job; a pool that restarted its ids sends other work under an old id.
 */
export function sameWork(a: Job, b: Job): boolean {
  if (a === b) return true;
  const x = a.notify;
  const y = b.notify;
  return (
    x.prevHash === y.prevHash &&
    x.merkleRoot === y.merkleRoot &&
    x.finalSaplingRoot === y.finalSaplingRoot &&
    x.nTime === y.nTime &&
    x.nBits === y.nBits &&
    x.version === y.version &&
    x.solution === y.solution
  );
}

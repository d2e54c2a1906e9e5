// synthetic.ts — the built-in pool's job source when there is no daemon: block templates shaped
// exactly like a real verusd's (verus-stratum.md §9, end; verushash.md §1.2), so miners, the bridge
// and the pool's own PBaaS check all do real work on them.
//
// A pure generator: the caller owns the clock and the timers (it asks `dueAt`, then `poll(now)`).
// Each block has a fresh prev/merkle/sapling/daemon nonce/MMR roots and the first PBaaS header's
// hashPreHeader computed over the header carrying the daemon nonce; the pool later rebuilds that
// header (validate.ts, "pool" rule) and the check clears. Between blocks, new jobs re-issue the
// same block with a new nTime and job id (v-nomp's re-broadcast, §3.5), clean=false.

import { preheaderHash } from "../hash/index.ts";
import { bytesToHex, hexToBytes } from "../protocol/hex.ts";
import { Job } from "../protocol/job.ts";
import { NOTIFY, type Notify } from "../protocol/notify.ts";
import {
  BLOCK_HEADER_BYTES,
  FIRST_PREHEADER_HASH_OFFSET,
  NONCE_OFFSET,
  SOLUTION_BYTES,
} from "../protocol/layout.ts";
import { assembleInput } from "../protocol/pbaas.ts";
import { PoolError } from "./errors.ts";
import { randomU32, type RandomBytes } from "./random.ts";

/** VRSC's chain id: the first PBaaS header of every mainnet template (verushash.md §1.2). */
export const VRSC_CHAIN_ID = "1af5b8015c64d39ab44c60ead8317f9f5a9b6c4c";
/** nVersion 0x00010004 ("VERUS_V2") in header byte order. */
export const HEADER_VERSION_HEX = "04000100";
/** The bits of the recorded templates (transcripts/rpc-vnomp-startup): network difficulty ≈ 1.4e10. */
export const DEFAULT_NBITS = 0x1b026205;
export const DEFAULT_START_HEIGHT = 3911208;
/**
 * Solution bytes 0..7 of a real v7 block (vectors: chain-2549501): version 7, descrBits, one PBaaS
 * header, extraDataSize 4. The recorded simulator set descrBits to 1; real mined blocks carry 0 and
 * it does not affect hashing (verushash.md §1.2). We follow the recorded template: 01.
 */
const DESCRIPTOR = Uint8Array.of(0x07, 0x00, 0x00, 0x00, 0x01, 0x01, 0x04, 0x00);
/** The 4 extra-data bytes real v7/v8 blocks carry right after the PBaaS headers. */
const EXTRA_DATA = Uint8Array.of(0x01, 0x00, 0x00, 0x00);
const MMR_OFFSET = 8; // hashPrevMMRRoot ‖ hashBlockMMRRoot: solution bytes 8..71
const CHAIN_ID_OFFSET = 72;
const EXTRA_DATA_OFFSET = FIRST_PREHEADER_HASH_OFFSET + 32; // 124
/** Job ids are short hex counters that wrap, as node-stratum-pool's JobCounter (1..0xfffe). */
const JOB_ID_SPACE = 0xfffe;

export interface SyntheticOptions {
  random: RandomBytes;
  /** A new job of the same block (new nTime, new id, clean=false) this often. */
  jobIntervalMs: number;
  /** A new block (new prev, clean=true) this often. */
  blockIntervalMs: number;
  /** Compact block target; the default makes block candidates as rare as on mainnet. */
  nBits?: number;
  startHeight?: number;
  /** BLAKE2b pre-header hash of a 1487-byte input; default: the native library's. */
  preHeaderHash?: (input: Uint8Array) => Uint8Array;
}

export interface SyntheticWork {
  /** The job, with its daemon nonce (the pool rule needs it). Its notify says clean or not. */
  job: Job;
  height: number;
  /** True when this work starts a new block (notify clean_jobs = true). */
  newBlock: boolean;
}

interface Block {
  height: number;
  prev: string;
  merkle: string;
  sapling: string;
  daemonNonce: Uint8Array;
  /** The daemon solution template, trailing zero bytes trimmed (notify param 8). */
  template: string;
}

export class SyntheticJobSource {
  readonly #random: RandomBytes;
  readonly #jobIntervalMs: number;
  readonly #blockIntervalMs: number;
  readonly #nBits: number;
  readonly #preHeaderHash: (input: Uint8Array) => Uint8Array;
  #height: number;
  #jobCounter: number;
  #lastNTime = 0;
  #block: Block | null = null;
  #current: SyntheticWork;
  #nextJobAt = 0;
  #nextBlockAt = 0;

  /** Starts at `nowMs` with a first block (clean). */
  constructor(options: SyntheticOptions, nowMs: number) {
    for (const [name, v] of [
      ["jobIntervalMs", options.jobIntervalMs],
      ["blockIntervalMs", options.blockIntervalMs],
    ] as const) {
      if (!Number.isFinite(v) || v <= 0)
        throw new PoolError("E_POOL_OPTIONS", `${name} must be a positive number of milliseconds, got ${v}`);
    }
    this.#random = options.random;
    this.#jobIntervalMs = options.jobIntervalMs;
    this.#blockIntervalMs = options.blockIntervalMs;
    this.#nBits = (options.nBits ?? DEFAULT_NBITS) >>> 0;
    this.#preHeaderHash = options.preHeaderHash ?? preheaderHash;
    this.#height = (options.startHeight ?? DEFAULT_START_HEIGHT) - 1;
    this.#jobCounter = randomU32(this.#random) % JOB_ID_SPACE;
    this.#current = this.newBlock(nowMs);
  }

  /** The latest work. */
  get current(): SyntheticWork {
    return this.#current;
  }

  /** When `poll` will next return work (ms, the caller's clock). */
  get dueAt(): number {
    return Math.min(this.#nextJobAt, this.#nextBlockAt);
  }

  /** New work if a block or a job is due at `nowMs` (a due block wins), else null. */
  poll(nowMs: number): SyntheticWork | null {
    if (nowMs >= this.#nextBlockAt) return this.newBlock(nowMs);
    if (nowMs >= this.#nextJobAt) return this.newJob(nowMs);
    return null;
  }

  /** A new block now: new prev hash, daemon nonce and template; clean=true. */
  newBlock(nowMs: number): SyntheticWork {
    this.#block = this.#makeBlock(this.#height + 1);
    this.#height = this.#block.height;
    this.#nextBlockAt = nowMs + this.#blockIntervalMs;
    return this.#issue(nowMs, true);
  }

  /** A new job of the current block now: new nTime and job id; clean=false. */
  newJob(nowMs: number): SyntheticWork {
    return this.#issue(nowMs, false);
  }

  #issue(nowMs: number, clean: boolean): SyntheticWork {
    const block = this.#block!;
    // Every job gets its own nTime (pools require shares to carry exactly it); never backwards.
    const nTime = Math.max(Math.floor(nowMs / 1000), this.#lastNTime + 1) >>> 0;
    this.#lastNTime = nTime;
    this.#jobCounter = (this.#jobCounter % JOB_ID_SPACE) + 1;
    const notify: Notify = {
      method: NOTIFY,
      id: null,
      jobId: this.#jobCounter.toString(16),
      version: HEADER_VERSION_HEX,
      prevHash: block.prev,
      merkleRoot: block.merkle,
      finalSaplingRoot: block.sapling,
      nTime: u32LEHex(nTime),
      nBits: u32LEHex(this.#nBits),
      cleanJobs: clean,
      solution: block.template,
    };
    this.#nextJobAt = nowMs + this.#jobIntervalMs;
    this.#current = {
      job: new Job(notify, { daemonNonce: block.daemonNonce }),
      height: block.height,
      newBlock: clean,
    };
    return this.#current;
  }

  #makeBlock(height: number): Block {
    const prev = this.#random(32);
    prev.fill(0, 26); // header order: the high bytes of a real block hash are zero
    const merkle = this.#random(32);
    const sapling = this.#random(32);
    const daemonNonce = this.#random(32);
    const header = new Uint8Array(BLOCK_HEADER_BYTES);
    header.set(hexToBytes(HEADER_VERSION_HEX), 0);
    header.set(prev, 4);
    header.set(merkle, 36);
    header.set(sapling, 68);
    new DataView(header.buffer).setUint32(104, this.#nBits, true);
    header.set(daemonNonce, NONCE_OFFSET);
    const solution = new Uint8Array(SOLUTION_BYTES);
    solution.set(DESCRIPTOR, 0);
    solution.set(this.#random(64), MMR_OFFSET);
    solution.set(hexToBytes(VRSC_CHAIN_ID), CHAIN_ID_OFFSET);
    solution.set(EXTRA_DATA, EXTRA_DATA_OFFSET);
    // The pre-header covers prev, merkle, sapling, the daemon nonce, nBits and the MMR roots — not
    // nTime — so one hash serves every job of the block.
    const preHash = this.#preHeaderHash(assembleInput(header, solution));
    if (preHash.length !== 32)
      throw new RangeError(`pre-header hash must be 32 bytes, got ${preHash.length}`);
    solution.set(preHash, FIRST_PREHEADER_HASH_OFFSET);
    return {
      height,
      prev: bytesToHex(prev),
      merkle: bytesToHex(merkle),
      sapling: bytesToHex(sapling),
      daemonNonce,
      template: trimTrailingZeroBytes(bytesToHex(solution)),
    };
  }
}

/** The daemon's solution hex as pools send it in notify param 8: trailing zero bytes removed. */
export function trimTrailingZeroBytes(hex: string): string {
  let end = hex.length;
  while (end >= 2 && hex[end - 1] === "0" && hex[end - 2] === "0") end -= 2;
  return hex.slice(0, end);
}

function u32LEHex(v: number): string {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return bytesToHex(b);
}

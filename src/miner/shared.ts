/**
 * The memory the main thread and the mining workers share, and the one protocol on it.
 *
 * The job travels in shared memory, not by postMessage: a worker's scan loop is synchronous and
 * never returns to its event loop while there is work, so it could not receive a message without
 * yielding between batches. Instead it polls one Int32 (the work sequence) between batches
 * (STYLE.md §12: poll, don't cancel) and copies the new work itself, so a job switch costs at most
 * one batch (~15 ms). Without work it sleeps in Atomics.wait on the same word.
 *
 * - control (Int32): [0] work sequence, [1] stop flag, then per slot [active, extranonce1 length].
 * - slots: two slots of (1487-byte header ‖ 32-byte little-endian target). Work `seq` lives in slot
 *   seq & 1. The writer fills the slot of seq+1 before publishing seq+1, and only touches a slot
 *   again two publishes later, so a reader that copies slot s and then still sees sequence s has a
 *   consistent copy; otherwise it copies the newer one (which it wants anyway).
 * - hashes (BigInt64): per worker, hashes done so far; written after every batch.
 */
import { HASH_BYTES, HASH_INPUT_BYTES } from "../hash/index.ts";

const SEQ = 0;
const STOP = 1;
const META = 2;
const META_WORDS = 2; // [active, extranonce1 length]
const SLOT_BYTES = HASH_INPUT_BYTES + HASH_BYTES;

export interface SharedBuffers {
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  hashes: SharedArrayBuffer;
}

/** What every worker hashes: the uncleared input (tail ignored) and the share target. */
export interface WorkSpec {
  /** 1487 bytes built with extranonce1 ‖ extranonce2 in the header nonce. */
  header: Uint8Array;
  /** 32 bytes, little-endian (targetToLE). */
  targetLE: Uint8Array;
  extranonce1: Uint8Array;
}

export function createShared(threads: number): SharedBuffers {
  return {
    control: new SharedArrayBuffer(4 * (META + 2 * META_WORDS)),
    slots: new SharedArrayBuffer(2 * SLOT_BYTES),
    hashes: new SharedArrayBuffer(8 * threads),
  };
}

/** The main thread's side: publishes work, raises the stop flag, reads the hash counters. */
export class WorkBoard {
  readonly #control: Int32Array;
  readonly #slots: Uint8Array;
  readonly #hashes: BigInt64Array;
  #seq = 0;

  constructor(b: SharedBuffers) {
    this.#control = new Int32Array(b.control);
    this.#slots = new Uint8Array(b.slots);
    this.#hashes = new BigInt64Array(b.hashes);
  }

  /** New work for every worker (null: stop hashing and wait). Returns its sequence number. */
  publish(work: WorkSpec | null): number {
    const seq = this.#seq + 1; // one per job, target or extranonce change: never near 2^31
    const slot = seq & 1;
    const meta = META + slot * META_WORDS;
    if (work === null) {
      Atomics.store(this.#control, meta, 0);
    } else {
      if (work.header.length !== HASH_INPUT_BYTES || work.targetLE.length !== HASH_BYTES)
        throw new RangeError("work needs a 1487-byte header and a 32-byte target");
      this.#slots.set(work.header, slot * SLOT_BYTES);
      this.#slots.set(work.targetLE, slot * SLOT_BYTES + HASH_INPUT_BYTES);
      Atomics.store(this.#control, meta + 1, work.extranonce1.length);
      Atomics.store(this.#control, meta, 1);
    }
    this.#seq = seq;
    Atomics.store(this.#control, SEQ, seq);
    Atomics.notify(this.#control, SEQ);
    return seq;
  }

  stop(): void {
    Atomics.store(this.#control, STOP, 1);
    Atomics.notify(this.#control, SEQ);
  }

  /** Hashes done by worker `i` so far. */
  hashes(i: number): number {
    return Number(Atomics.load(this.#hashes, i));
  }
}

export interface WorkCopy {
  seq: number;
  /** False: no work (paused); header and target were not copied. */
  active: boolean;
  extranonce1Length: number;
}

/** A worker's side: polls the sequence, copies work, publishes its hash count. */
export class WorkView {
  readonly #control: Int32Array;
  readonly #slots: Uint8Array;
  readonly #hashes: BigInt64Array;
  readonly #index: number;

  constructor(b: SharedBuffers, index: number) {
    this.#control = new Int32Array(b.control);
    this.#slots = new Uint8Array(b.slots);
    this.#hashes = new BigInt64Array(b.hashes);
    this.#index = index;
  }

  get seq(): number {
    return Atomics.load(this.#control, SEQ);
  }

  get stopped(): boolean {
    return Atomics.load(this.#control, STOP) !== 0;
  }

  /** Copies the newest work into `header` (1487) and `targetLE` (32). */
  read(header: Uint8Array, targetLE: Uint8Array): WorkCopy {
    for (;;) {
      const seq = Atomics.load(this.#control, SEQ);
      const slot = seq & 1;
      const meta = META + slot * META_WORDS;
      const active = Atomics.load(this.#control, meta) === 1;
      const extranonce1Length = Atomics.load(this.#control, meta + 1);
      if (active) {
        const at = slot * SLOT_BYTES;
        header.set(this.#slots.subarray(at, at + HASH_INPUT_BYTES));
        targetLE.set(this.#slots.subarray(at + HASH_INPUT_BYTES, at + SLOT_BYTES));
      }
      if (Atomics.load(this.#control, SEQ) === seq) return { seq, active, extranonce1Length };
    }
  }

  /** Sleeps until the sequence moves past `seq`, the stop flag is raised, or `ms` pass. */
  wait(seq: number, ms: number): void {
    Atomics.wait(this.#control, SEQ, seq, ms);
  }

  setHashes(total: number): void {
    Atomics.store(this.#hashes, this.#index, BigInt(total));
  }
}

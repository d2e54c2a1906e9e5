/**
 * One unit of work as the main thread remembers it: the job, the extranonce1 and target it was
 * published with, under the sequence number the workers see. Candidates name the sequence, so
 * each is re-verified and submitted against exactly what it was found for — never against a newer
 * extranonce1 or target (the client's epoch travels with it).
 */
import type { Job } from "../protocol/index.ts";

export interface Work {
  readonly seq: number;
  /** The pool client's epoch of the extranonce1 (UpstreamShare.epoch). */
  readonly epoch: number;
  readonly job: Job;
  readonly extranonce1: Uint8Array;
  readonly extranonce1Hex: string;
  /** All zeros, 32 − len(extranonce1) bytes (nonce-space.ts). */
  readonly extranonce2: Uint8Array;
  readonly target: bigint;
  readonly targetLE: Uint8Array;
  readonly difficulty: number;
  /** Epoch milliseconds when it was handed to the workers. */
  readonly publishedAt: number;
}

/** Works a WorkBook keeps; a candidate for an older one is stale. */
const KEPT = 64;

/** Recent work by sequence number; the oldest falls out past KEPT. */
export class WorkBook {
  readonly #works = new Map<number, Work>();

  add(w: Work): void {
    this.#works.set(w.seq, w);
    while (this.#works.size > KEPT) this.#works.delete(this.#works.keys().next().value!);
  }

  get(seq: number): Work | undefined {
    return this.#works.get(seq);
  }
}

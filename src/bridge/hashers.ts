// hashers.ts — native hashing for share verdicts, so that a verdict costs one VerusHash.
//
// A Hasher context keeps ONE prepared job (keyed on the cleared 1472-byte prefix, verushash.md
// §7.3): every share of that job, from any session, reuses its absorbed prefix and key. Shares of
// two live jobs arriving interleaved (a new job every few seconds, miners still finishing the last
// one) would make a single context re-prepare on every switch, so the cache keeps a few contexts,
// one per upstream job, least recently used evicted. Each context is ~18 KB of native state.
//
// validateShare's miner rule hands hash22 either an input the miner rule does not clear, or an
// already cleared copy; hashHeaderInto (which applies the miner rule's clearing itself) gives the
// plain hash of both, so it is the right call for every input the bridge hashes.

import { Hasher, type ImplChoice } from "../hash/index.ts";
import type { ShareHashers } from "../protocol/index.ts";

export const DEFAULT_HASHER_CONTEXTS = 4;

export class HasherCache {
  readonly #impl: ImplChoice;
  readonly #max: number;
  /** Key → context; Map order is recency (the first entry is the least recently used). */
  readonly #byJob = new Map<string, Hasher>();
  #closed = false;

  constructor(impl: ImplChoice, maxContexts = DEFAULT_HASHER_CONTEXTS) {
    if (!Number.isInteger(maxContexts) || maxContexts < 1) throw new RangeError(`maxContexts must be a positive integer, got ${maxContexts}`);
    this.#impl = impl;
    this.#max = maxContexts;
    // Open one now: a missing or wrong native library fails at start, not at the first share.
    this.#byJob.set("", Hasher.open(impl));
  }

  /** The implementation in use ("auto" resolved). */
  get impl(): string {
    return this.#byJob.values().next().value!.impl;
  }

  /** Contexts open now (at most maxContexts). */
  get size(): number {
    return this.#byJob.size;
  }

  /** Hash functions bound to the context of `jobKey` (upstream session, epoch and job id). */
  forJob(jobKey: string): ShareHashers {
    const hasher = this.#context(jobKey);
    return {
      hash22(input: Uint8Array): Uint8Array {
        const out = new Uint8Array(32);
        hasher.hashHeaderInto(input, out);
        return out;
      },
      preHeaderHash(): Uint8Array {
        throw new RangeError("the bridge checks shares with the miner rule: no pre-header hash");
      },
    };
  }

  close(): void {
    this.#closed = true;
    for (const h of this.#byJob.values()) h.close();
    this.#byJob.clear();
  }

  #context(key: string): Hasher {
    if (this.#closed) throw new RangeError("HasherCache is closed");
    const hit = this.#byJob.get(key);
    if (hit !== undefined) {
      this.#byJob.delete(key);
      this.#byJob.set(key, hit);
      return hit;
    }
    let hasher: Hasher;
    if (this.#byJob.size >= this.#max) {
      // Reuse the least recent context: its next hashHeaderInto simply prepares the new job.
      const [oldest, h] = this.#byJob.entries().next().value!;
      this.#byJob.delete(oldest);
      hasher = h;
    } else hasher = Hasher.open(this.#impl);
    this.#byJob.set(key, hasher);
    return hasher;
  }
}

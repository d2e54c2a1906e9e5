// hashers.ts — native hashing for share verdicts, so that a verdict costs one VerusHash.
//
// A Hasher context keeps ONE prepared job (keyed on the cleared 1472-byte prefix, verushash.md
// §7.3): every share of that job, from any session, reuses its absorbed prefix and key. Shares of
// two live jobs arriving interleaved (a new job every few seconds, miners still finishing the last
// one) would make a single context re-prepare on every switch, so the cache keeps a few contexts,
// one per upstream job, least recently used evicted. Each context is ~18 KB of native state.
//
// hashHeaderInto applies the miner rule's clearing itself: it is hashMinerRule, the call validation
// makes for every input the bridge hashes. As hash22 (no clearing) it is right too for the inputs
// validation would hand that: ones the miner rule does not clear, or already cleared ones.

import { HASH_BYTES, Hasher, type ImplChoice } from "../hash/index.ts";
import type { ShareHashers } from "../protocol/index.ts";

export const DEFAULT_HASHER_CONTEXTS = 4;

/** A context and the ShareHashers bound to it, made once: a verdict allocates neither. */
interface Context {
  hasher: Hasher;
  hashers: ShareHashers;
}

export class HasherCache {
  readonly #impl: ImplChoice;
  readonly #max: number;
  /** Key → context; Map order is recency (the first entry is the least recently used). */
  readonly #byJob = new Map<string, Context>();
  /** The most recent key: shares mostly come for the newest job, and need no reordering then. */
  #lastKey: string | null = null;
  #closed = false;

  constructor(impl: ImplChoice, maxContexts = DEFAULT_HASHER_CONTEXTS) {
    if (!Number.isInteger(maxContexts) || maxContexts < 1)
      throw new RangeError(`maxContexts must be a positive integer, got ${maxContexts}`);
    this.#impl = impl;
    this.#max = maxContexts;
    // Open one now: a missing or wrong native library fails at start, not at the first share.
    this.#byJob.set("", open(impl));
    this.#lastKey = "";
  }

  /** The implementation in use ("auto" resolved). */
  get impl(): string {
    return this.#byJob.values().next().value!.hasher.impl;
  }

  /** Contexts open now (at most maxContexts). */
  get size(): number {
    return this.#byJob.size;
  }

  /** Hash functions bound to the context of `jobKey` (upstream session, epoch and job id). */
  forJob(jobKey: string): ShareHashers {
    return this.#context(jobKey).hashers;
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#byJob.values()) c.hasher.close();
    this.#byJob.clear();
    this.#lastKey = null;
  }

  #context(key: string): Context {
    if (this.#closed) throw new RangeError("HasherCache is closed");
    const hit = this.#byJob.get(key);
    if (hit !== undefined) {
      if (key !== this.#lastKey) {
        this.#byJob.delete(key);
        this.#byJob.set(key, hit);
        this.#lastKey = key;
      }
      return hit;
    }
    let context: Context;
    if (this.#byJob.size >= this.#max) {
      // Reuse the least recent context: its next hashHeaderInto simply prepares the new job.
      const [oldest, c] = this.#byJob.entries().next().value!;
      this.#byJob.delete(oldest);
      context = c;
    } else context = open(this.#impl);
    this.#byJob.set(key, context);
    this.#lastKey = key;
    return context;
  }
}

function open(impl: ImplChoice): Context {
  const hasher = Hasher.open(impl);
  const hash = (input: Uint8Array): Uint8Array => {
    const out = new Uint8Array(HASH_BYTES);
    hasher.hashHeaderInto(input, out);
    return out;
  };
  return {
    hasher,
    hashers: {
      hash22: hash,
      hashMinerRule: hash,
      preHeaderHash(): Uint8Array {
        throw new RangeError("the bridge checks shares with the miner rule: no pre-header hash");
      },
    },
  };
}

// duplicates.ts — the shares one miner session already submitted, per job, for "22 duplicate
// share" (verus-stratum.md §5 step 8), with bounded memory (STYLE.md principle 10).
//
// Why per session: a PBaaS tail must start with the session's own extranonce1 (the core checks it),
// so two sessions can never submit the same tail; a lease is not reused before a clean job
// (leases.ts). Duplicates can therefore only come from the session itself.
//
// What identifies a share: on PBaaS jobs (miner rule clears the header nonce) the hash depends on
// the template, which the core checks against the job, and the 15-byte tail only — so the tail is
// the identity (its hex). Keying on xn1 ‖ xn2 ‖ solution as pools do would let a
// Stratum miner resubmit one tail with a different extranonce2 and be paid twice for one hash. On
// older jobs the nonce is hashed, so the whole key counts (stored as its SHA-256).
//
// Bounds: at most `maxEntries` identities over all jobs. Past that, the oldest job's set is
// dropped and that job is retired for this session (its shares become "21 job not found", as if
// stale — never accepted twice). Everything is forgotten at a clean job, when all jobs die.

import { rangeToHex, NONCE_TAIL_BYTES, type DuplicateSet } from "../protocol/index.ts";

export const DEFAULT_MAX_SHARE_MEMORY = 2048;

export class ShareMemory {
  readonly maxEntries: number;
  /** Insertion order is age order. */
  readonly #byJob = new Map<string, Set<string>>();
  readonly #retired = new Set<string>();
  readonly #isLive: (jobId: string) => boolean;
  #size = 0;
  /** The two DuplicateSets validation uses, made once: a verdict should not allocate them. */
  readonly #byTail: DuplicateSet = {
    add: (jobId, key) => this.add(jobId, rangeToHex(key, key.length - NONCE_TAIL_BYTES, key.length)),
  };
  readonly #byDigest: DuplicateSet = { add: (jobId, key) => this.add(jobId, Bun.SHA256.hash(key, "base64")) };

  /** `isLive` tells which retired job ids still need remembering (the upstream's job table). */
  constructor(maxEntries: number, isLive: (jobId: string) => boolean) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.maxEntries = maxEntries;
    this.#isLive = isLive;
  }

  get size(): number {
    return this.#size;
  }

  /** True when this session may no longer submit for the job (its memory of it was dropped). */
  retired(jobId: string): boolean {
    return this.#retired.has(jobId);
  }

  /** The DuplicateSet validation uses for the shares of a job whose clearing rule is known. */
  forJob(cleared: boolean): DuplicateSet {
    return cleared ? this.#byTail : this.#byDigest;
  }

  /** Records `identity` for the job; false if it was there already. */
  add(jobId: string, identity: string): boolean {
    if (this.#retired.has(jobId))
      throw new RangeError(`duplicate check for job ${jobId}, retired for this session`);
    let seen = this.#byJob.get(jobId);
    if (seen === undefined) this.#byJob.set(jobId, (seen = new Set()));
    if (seen.has(identity)) return false;
    seen.add(identity);
    this.#size++;
    while (this.#size > this.maxEntries) this.#retireOldest();
    return true;
  }

  /** A clean job: every job is dead, so is everything remembered about them. */
  clear(): void {
    this.#byJob.clear();
    this.#retired.clear();
    this.#size = 0;
  }

  #retireOldest(): void {
    const [jobId, seen] = this.#byJob.entries().next().value!;
    this.#byJob.delete(jobId);
    this.#size -= seen.size;
    this.#retired.add(jobId);
    // Retired ids of jobs the pool no longer holds need no memory: those jobs are unknown anyway.
    if (this.#retired.size > 64)
      for (const id of this.#retired) if (!this.#isLive(id)) this.#retired.delete(id);
  }
}

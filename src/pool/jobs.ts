// jobs.ts — the pool's table of valid jobs and, per job, the shares already seen (for "22
// duplicate share"). Jobs are dropped all at once on a clean (new-block) job, as real pools do
// (verus-stratum.md §3.5, §5 step 2); between blocks the oldest are evicted past `maxJobs` — the
// policy of protocol/job-window.ts, whose payload here is the job's duplicate set.
//
// Memory is bounded twice (STYLE.md principle 10):
// - a duplicate key (xn1 ‖ xn2 ‖ solution, ≈ 1.4 KB of bytes) is stored as its SHA-256, 44 bytes;
// - a job holds at most `maxSharesPerJob` keys. A job that reaches the cap is retired: it stops
//   being valid, so further shares for it get "21 job not found" — exactly what a miner sees for
//   a stale job, and it moves on. Forgetting old keys instead would let a resubmitted share be
//   accepted twice, i.e. make the pool more lenient than a real one; retiring keeps it strict.
//   `newestRetired` tells the server to issue a fresh job at once so miners are never left
//   without valid work.

import type { Job } from "../protocol/job.ts";
import { JOBS_KEPT, JobWindow } from "../protocol/job-window.ts";
import type { DuplicateSet, JobLookup } from "../protocol/validate.ts";
import { PoolError } from "./errors.ts";

export interface JobTableOptions {
  /** Jobs kept valid at once (newest first). */
  maxJobs?: number;
  /** Distinct shares remembered per job before the job is retired. */
  maxSharesPerJob?: number;
}

export const DEFAULT_MAX_SHARES_PER_JOB = 32_768;

interface Entry {
  job: Job;
  seen: Set<string>;
  retired: boolean;
}

export class JobTable implements JobLookup, DuplicateSet {
  readonly maxJobs: number;
  readonly maxSharesPerJob: number;
  readonly #entries: JobWindow<Entry>;
  #newest: Entry | null = null;

  constructor(options: JobTableOptions = {}) {
    this.maxJobs = options.maxJobs ?? JOBS_KEPT;
    this.maxSharesPerJob = options.maxSharesPerJob ?? DEFAULT_MAX_SHARES_PER_JOB;
    for (const [name, v] of [
      ["maxJobs", this.maxJobs],
      ["maxSharesPerJob", this.maxSharesPerJob],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new PoolError("E_POOL_OPTIONS", `${name} must be a whole number >= 1, got ${v}`);
    }
    this.#entries = new JobWindow(this.maxJobs);
  }

  /** Jobs currently valid. */
  get size(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (!e.retired) n++;
    return n;
  }

  /** The latest job added (valid or retired), or null before the first. */
  get newest(): Job | null {
    return this.#newest?.job ?? null;
  }

  /** True when the latest job has reached its share cap: the pool should issue a new one. */
  get newestRetired(): boolean {
    return this.#newest?.retired ?? false;
  }

  /**
   * Make `job` valid. A clean job (notify clean_jobs = true: a new block) drops every other one
   * first. A job id that is still in the table (ids are counters that wrap) replaces the old job.
   */
  push(job: Job, clean: boolean): void {
    const entry: Entry = { job, seen: new Set(), retired: false };
    this.#entries.put(job.id, entry, clean);
    this.#newest = entry;
  }

  /** The job if it is known, not dropped by a newer block, not evicted and not retired. */
  get(jobId: string): Job | undefined {
    const e = this.#entries.get(jobId);
    return e === undefined || e.retired ? undefined : e.job;
  }

  /**
   * Record a share key for a valid job; false if it was seen before. The share that fills the
   * job's cap is still recorded and accepted; the job is retired after it.
   */
  add(jobId: string, key: Uint8Array): boolean {
    const e = this.#entries.get(jobId);
    // validateShare looks the job up immediately before; anything else is our bug.
    if (e === undefined || e.retired)
      throw new RangeError(`duplicate check for job ${jobId}, which is not valid`);
    const digest = Bun.SHA256.hash(key, "base64");
    if (e.seen.has(digest)) return false;
    e.seen.add(digest);
    if (e.seen.size >= this.maxSharesPerJob) {
      e.retired = true;
      e.seen.clear(); // nothing can be submitted for it any more; free the memory now
    }
    return true;
  }

  /** Distinct shares remembered for a job (0 for unknown or retired jobs). */
  sharesSeen(jobId: string): number {
    return this.#entries.get(jobId)?.seen.size ?? 0;
  }

  clear(): void {
    this.#entries.clear();
    this.#newest = null;
  }
}

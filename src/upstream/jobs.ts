// jobs.ts — the jobs a pool currently accepts shares for, on one connection.
//
// A share may be sent only for a job the pool still holds; one whose job died is stale and is
// reported as such instead of being sent for a sure `21 job not found` (which counts towards the
// pools' ≥ 50 % invalid ban, verus-stratum.md §5). A job dies when:
// - a notify says clean_jobs = true;
// - a notify carries a new prevhash even with clean_jobs = false: v-nomp sends at most one clean job
//   per 15 s, so a new block can arrive unclean (verus-stratum.md §7, "compare prevhash yourself");
// - it falls out of the book (protocol/job-window.ts: capped, oldest first).
// The first job of a connection is always reported clean: earlier work used another extranonce1.

import { Job, type Notify } from "../protocol/index.ts";
import { JOBS_KEPT, JobWindow } from "../protocol/job-window.ts";

/** A notify, as the book judged it. */
export interface AcceptedJob {
  job: Job;
  /** Every earlier job of this connection is dead (clean_jobs, new prevhash, or the first job). */
  clean: boolean;
}

export class JobBook {
  readonly #jobs: JobWindow<Job>;
  #prevHash: string | null = null;
  #latest: Job | null = null;

  /** Throws a RangeError unless `maxJobs` is a whole number >= 1. */
  constructor(maxJobs = JOBS_KEPT) {
    this.#jobs = new JobWindow(maxJobs);
  }

  /** Record a notify (Job construction may throw a RangeError for an over-long template). */
  accept(notify: Notify): AcceptedJob {
    const job = new Job(notify);
    const clean = notify.cleanJobs || this.#latest === null || notify.prevHash !== this.#prevHash;
    this.#jobs.put(job.id, job, clean);
    this.#prevHash = notify.prevHash;
    this.#latest = job;
    return { job, clean };
  }

  has(jobId: string): boolean {
    return this.#jobs.has(jobId);
  }

  get(jobId: string): Job | undefined {
    return this.#jobs.get(jobId);
  }

  get latest(): Job | null {
    return this.#latest;
  }

  get size(): number {
    return this.#jobs.size;
  }
}

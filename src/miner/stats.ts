/**
 * The miner's accounting: share outcomes, hashrate per thread, and the summary printed at the end
 * (--json), served by the stats endpoint and shown in the report lines. Pure: the caller passes
 * the time (ms) and the workers' cumulative hash counters.
 *
 * Two hashrates: the report line shows the rate since the previous report (what the machine does
 * now, as ccminer prints it); the summary shows the average over the time there was work to do,
 * so that waiting for a pool (connecting, between connections) does not count as slowness.
 */

/** What became of one share handed to the pool client, as the miner counts it. */
export type ShareCount = "accepted" | "rejected" | "stale" | "lost" | "dropped";

export interface Rates {
  /** H/s of all threads. */
  total: number;
  perThread: number[];
}

export interface MinerSummary {
  /** H/s, average over the time there was work. */
  hashrate: number;
  accepted: number;
  rejected: number;
  /** Found for a job or extranonce1 that died: never sent (then also in `unsent`), or answered 21. */
  stale: number;
  /** Sent, but the connection ended (or the pool went silent) before the answer. */
  lost: number;
  /** Never sent: the client's submit queue was full or closed (also in `unsent`). */
  dropped: number;
  /** Found by a worker but failed re-verification on the main thread: a bug, never submitted. */
  invalid: number;
  /**
   * Sent to the pool: answered (accepted, rejected, stale 21) or lost on the way. Counted when the
   * outcome shows the share went out, so shares still in flight are not in it yet; a share whose
   * job died before it could be sent never is.
   */
  submitted: number;
  /** Never sent to the pool: stale before sending (its job or extranonce1 died first) or dropped. */
  unsent: number;
  hashes: number;
  uptime_s: number;
  /** Longest time from a new job to a worker hashing it (ms): the 50 ms promise, measured. */
  job_switch_ms_max: number;
  /** H/s per thread, averaged as `hashrate`. */
  threads: number[];
  difficulty: number | null;
  pool: string | null;
}

export interface SummaryContext {
  difficulty: number | null;
  pool: string | null;
}

export class MinerStats {
  readonly threads: number;
  readonly #startedAt: number;
  #lastAt: number;
  #last: number[];
  #activeMs = 0;
  #activeSince: number | null = null;
  /** Shares that will get one result (offered); of those with a result, sent and unsent. */
  #offered = 0;
  #sent = 0;
  #unsent = 0;
  #invalid = 0;
  #switchMsMax = 0;
  readonly #counts: Record<ShareCount, number> = { accepted: 0, rejected: 0, stale: 0, lost: 0, dropped: 0 };

  constructor(threads: number, nowMs: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError("threads must be a positive integer");
    this.threads = threads;
    this.#startedAt = nowMs;
    this.#lastAt = nowMs;
    this.#last = new Array<number>(threads).fill(0);
  }

  /** Work in hand (true) or not (paused, disconnected). */
  working(nowMs: number, on: boolean): void {
    if (on && this.#activeSince === null) this.#activeSince = nowMs;
    else if (!on && this.#activeSince !== null) {
      this.#activeMs += nowMs - this.#activeSince;
      this.#activeSince = null;
    }
  }

  /** Milliseconds with work in hand so far. */
  activeMs(nowMs: number): number {
    return this.#activeMs + (this.#activeSince === null ? 0 : nowMs - this.#activeSince);
  }

  /** Rates since the previous sample (or since the start), from cumulative per-thread counters. */
  sample(nowMs: number, hashes: readonly number[]): Rates {
    this.#checkHashes(hashes);
    const seconds = (nowMs - this.#lastAt) / 1000;
    const perThread = hashes.map((h, i) => (seconds > 0 ? (h - this.#last[i]!) / seconds : 0));
    this.#last = [...hashes];
    this.#lastAt = nowMs;
    return { total: perThread.reduce((a, b) => a + b, 0), perThread };
  }

  /** A share the miner will account for: it gets exactly one result(), and is pending until then. */
  offered(): void {
    this.#offered++;
  }

  /** What became of an offered share; `sent`: it went to the pool (accepted, rejected, lost, stale 21). */
  result(kind: ShareCount, sent: boolean): void {
    if (sent && kind === "dropped") throw new RangeError("a dropped share was never sent");
    this.#counts[kind]++;
    if (sent) this.#sent++;
    else this.#unsent++;
  }

  invalid(): void {
    this.#invalid++;
  }

  /** A worker took up new work this long after it was published. */
  switched(ms: number): void {
    if (ms > this.#switchMsMax) this.#switchMsMax = ms;
  }

  count(kind: ShareCount): number {
    return this.#counts[kind];
  }

  /** Shares never sent to the pool so far (stale before sending, or dropped). */
  get unsent(): number {
    return this.#unsent;
  }

  /** Offered shares without an outcome yet. */
  get pending(): number {
    return this.#offered - this.#sent - this.#unsent;
  }

  summary(nowMs: number, hashes: readonly number[], ctx: SummaryContext): MinerSummary {
    this.#checkHashes(hashes);
    const seconds = this.activeMs(nowMs) / 1000;
    const perThread = hashes.map((h) => (seconds > 0 ? Math.round(h / seconds) : 0));
    const total = hashes.reduce((a, b) => a + b, 0);
    return {
      hashrate: seconds > 0 ? Math.round(total / seconds) : 0,
      ...this.#counts,
      invalid: this.#invalid,
      submitted: this.#sent,
      unsent: this.#unsent,
      hashes: total,
      uptime_s: Math.round((nowMs - this.#startedAt) / 100) / 10,
      job_switch_ms_max: Math.round(this.#switchMsMax * 10) / 10,
      threads: perThread,
      difficulty: ctx.difficulty,
      pool: ctx.pool,
    };
  }

  #checkHashes(hashes: readonly number[]): void {
    if (hashes.length !== this.threads)
      throw new RangeError(`expected ${this.threads} hash counters, got ${hashes.length}`);
  }
}

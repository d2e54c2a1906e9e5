// session.ts — one miner connection as the core sees it (the contract's MinerSession): its lease
// and work, its difficulty (vardiff), and the verdict on each of its shares — checked, credited in
// the ledger, acknowledged, and forwarded when it also meets the pool's target.
//
// Order of a share (each step can end it): session open and authorised → rate limit (before any
// hashing; a limited miner is also given a harder target at once) → a lease and a live job → the
// bridge's own checks (verdict.ts) → validateTail / validateSubmit with the miner rule and native
// hash, on bytes → ledger commit → sink.result, then the pool (the only step that makes hex).
//
// Pool trouble (issue 10): with no work the miner is paused (sink.pause, once) until the next work;
// a share for work it was given that is gone — no lease, a job voided, its previous lease's prefix,
// or a job id the pool reused after a restart — is stale (21, counted as stale, never invalid).
// Vardiff also acts between jobs when a miner is far (×2) off its interval: the current job again
// with the new target, at most once a share interval.

import {
  difficultyToTarget,
  rejectOf,
  sameWork,
  splitUser,
  validateSubmit,
  validateTail,
  Vardiff,
  type Job,
  type JobShareCheck,
  type ShareReject,
  type VardiffOptions,
  type Verdict,
} from "../protocol/index.ts";
import type { Logger } from "../util/log.ts";
import type {
  EventSink,
  LeasedSession,
  Lease,
  MinerHello,
  MinerInfo,
  MinerSession,
  MinerShare,
  MinerSink,
  SessionEnd,
  SessionUpstream,
} from "./contract.ts";
import { ShareMemory } from "./duplicates.ts";
import type { HasherCache } from "./hashers.ts";
import { InvalidShareWindow, type InvalidWindowOptions } from "./invalid-window.ts";
import type { Ledger } from "../ledger/index.ts";
import { ShareRateLimiter } from "./rate-limit.ts";
import { SessionTally } from "./session-tally.ts";
import { blockHashOf, shareKey } from "./share-key.ts";
import type { BridgeCounters } from "./stats.ts";
import {
  BRIDGE_REJECTS,
  countsAsInvalid,
  meetsPool,
  submitCheck,
  tailCheck,
  upstreamShareOf,
} from "./verdict.ts";

/** What a session needs from the core. */
export interface SessionContext {
  now(): number;
  closing(): boolean;
  ledger: Ledger;
  events: EventSink;
  stats: BridgeCounters;
  hashers: HasherCache;
  log: Logger;
  maxSharesPerSecond: number;
  maxShareMemory: number;
  invalidWindow: InvalidWindowOptions;
  closed(session: Session): void;
}

export interface SessionSettings {
  startDifficulty: number;
  vardiff: VardiffOptions;
}

/** Shortest time between two rate-limit slow-downs: shares in flight were found with the old target. */
const SLOW_DOWN_MS = 1000;

/** Job ids remembered per epoch (to tell a share for dead work from one for a job never given). */
const JOB_IDS_KEPT = 16;
/** Between jobs, vardiff steps in only this far off the goal (×2 too fast or too slow). */
const QUICK_FACTOR = 2;
/** A miner too fast is judged on at least this many shares. */
const QUICK_MIN_SHARES = 4;
/** Largest quick step (as the windowed vardiff's). */
const QUICK_MAX_STEP = 4;

const NO_JOB_IDS: ReadonlyMap<string, number> = new Map();

const USER = /^[\x21-\x7e]{1,128}$/; // printable ASCII, no spaces: it becomes a ledger key and log text

export class Session implements MinerSession, LeasedSession {
  readonly id: number;
  readonly hello: MinerHello;
  readonly #sink: MinerSink;
  readonly #ctx: SessionContext;
  readonly #up: SessionUpstream;
  #vardiff: Vardiff;
  readonly #vardiffOptions: VardiffOptions;
  readonly #minDifficulty: number;
  readonly #maxDifficulty: number;
  readonly #limiter: ShareRateLimiter;
  // Made at the first share: most of a bridge's sessions are idle browsers between shares, and
  // 10,000 of them should not each hold an empty duplicate memory and invalid-share ring.
  #window: InvalidShareWindow | null = null;
  #memory: ShareMemory | null = null;
  #worker: string | null = null;
  #lease: Lease | null = null;
  /** The lease before this one: shares found with its extranonce1 are stale, not invalid. */
  #previous: Lease | null = null;
  #difficulty: number;
  #previousDifficulty: number | null = null;
  #pendingDifficulty: number | null = null;
  #needsClean = true;
  #slowedAt = -Infinity;
  #closed = false;
  /** pause() told and no work since. */
  #paused = false;
  /** Job ids given under the current epoch, and under the one before (v-nomp reuses ids), with nTime. */
  #jobIds = new Map<string, number>();
  /** Read only: one shared empty map until the first epoch change (10,000 idle sessions, one Map less each). */
  #olderJobIds: ReadonlyMap<string, number> = NO_JOB_IDS;
  /** The quick retarget's window: its start and the shares credited since. */
  #quickStart: number;
  #quickShares = 0;
  /** Verdict counters for the operator API (counters only: the share path stays cheap). */
  readonly #tally: SessionTally;

  constructor(
    id: number,
    hello: MinerHello,
    sink: MinerSink,
    ctx: SessionContext,
    up: SessionUpstream,
    s: SessionSettings,
  ) {
    this.id = id;
    this.hello = hello;
    this.#sink = sink;
    this.#ctx = ctx;
    this.#up = up;
    const now = ctx.now();
    this.#vardiff = new Vardiff(s.vardiff, now);
    this.#vardiffOptions = s.vardiff;
    this.#quickStart = now;
    this.#minDifficulty = s.vardiff.minDifficulty;
    this.#maxDifficulty = s.vardiff.maxDifficulty;
    this.#difficulty = Math.min(this.#maxDifficulty, Math.max(this.#minDifficulty, s.startDifficulty));
    this.#limiter = new ShareRateLimiter(ctx.maxSharesPerSecond, now);
    this.#tally = new SessionTally(now);
  }

  /** This session for the operator API; `upstream`: the index of its upstream session. */
  info(now: number, upstream: number): MinerInfo {
    const t = this.#tally;
    return {
      id: this.id,
      worker: this.#worker,
      transport: this.hello.transport,
      agent: this.hello.agent ?? null,
      remote: this.hello.remote,
      upstream,
      difficulty: this.#difficulty,
      connectedAt: t.connectedAt,
      accepted: t.accepted,
      rejected: t.rejected,
      invalid: t.invalid,
      stale: t.stale,
      credited: t.credited,
      lastShareAt: t.lastShareAt,
      hashrate: t.hashrate(now),
    };
  }

  get worker(): string | null {
    return this.#worker;
  }
  get lease(): Lease | null {
    return this.#lease;
  }
  get difficulty(): number {
    return this.#difficulty;
  }
  get closed(): boolean {
    return this.#closed;
  }
  get paused(): boolean {
    return this.#paused;
  }

  authorize(user: string, _password: string): { ok: true } | { ok: false; reason: string } {
    const name = user.trim();
    if (!USER.test(name) || splitUser(name).address === "") {
      return { ok: false, reason: "user must be ADDRESS[.WORKER]: 1..128 printable characters, no spaces" };
    }
    this.#worker = name;
    return { ok: true };
  }

  submit(share: MinerShare, token: unknown): void {
    if (this.#closed) return;
    const now = this.#ctx.now();
    if (this.#ctx.closing()) return this.#reject(token, BRIDGE_REJECTS.closing);
    const worker = this.#worker;
    if (worker === null) return this.#reject(token, rejectOf("unauthorized"));
    const rate = this.#limiter.take(now);
    if (rate !== "ok") {
      this.#reject(token, BRIDGE_REJECTS.rateLimited);
      // Made slower: forgiven. Still flooding a second after the last change, and no harder
      // target (or no work to carry it) left to give: ended.
      if (this.#slowDown(now)) this.#limiter.forgive();
      else if (rate === "exceeded" && now - this.#slowedAt >= SLOW_DOWN_MS)
        this.#end({
          reason: "rate-limited",
          detail: `more than ${this.#ctx.maxSharesPerSecond} shares per second`,
        });
      return;
    }
    const lease = this.#lease;
    const memory = (this.#memory ??= new ShareMemory(
      this.#ctx.maxShareMemory,
      (jobId) => this.#up.job(jobId) !== undefined,
    ));
    const job = lease === null || memory.retired(share.jobId) ? undefined : this.#up.job(share.jobId);
    // Dead work when this session was given the job (now gone, or of an older epoch); a job id it
    // never had is "not found" too, but not stale.
    const given = this.#jobIds.has(share.jobId) || this.#olderJobIds.has(share.jobId);
    if (lease === null || job === undefined) return this.#reject(token, rejectOf("job-not-found"), given);
    const check: JobShareCheck = {
      job,
      extranonce1: lease.extranonce1,
      extranonce1Hex: lease.extranonce1Hex,
      duplicates: memory.forJob(job.pbaasCleared),
      target: { difficulty: this.#difficulty, previousDifficulty: this.#previousDifficulty },
      hashers: this.#ctx.hashers.forJob(this.#up.jobKey(job.id)),
      rule: "miner",
    };
    let v: Verdict;
    if (share.kind === "tail") {
      if (share.announced !== undefined && !sameWork(share.announced, job))
        return this.#reject(token, rejectOf("job-not-found"), true); // found on an older job of that id
      const own = tailCheck(job, share.tail, lease.extranonce1, this.#previous?.extranonce1 ?? null);
      if (own !== null) return this.#reject(token, own, own.code === 21);
      v = validateTail(check, share.tail);
    } else {
      const previousHex = this.#previous?.extranonce1Hex ?? null;
      const own = submitCheck(job, share, lease.extranonce1Hex, previousHex);
      if (own !== null) {
        // A pool that restarts its job ids (v-nomp) re-sends an id of the old epoch for new work: a
        // share found on the old job under that id no longer matches its template. Stale, not invalid.
        const old =
          own.code === 21 ||
          (own === BRIDGE_REJECTS.template &&
            (this.#olderJobIds.has(share.jobId) ||
              (previousHex !== null && share.tailText.startsWith(previousHex))));
        return old ? this.#reject(token, rejectOf("job-not-found"), true) : this.#reject(token, own);
      }
      // The same job id under an older epoch with another nTime: the share carries the old job's.
      const olderTime = this.#olderJobIds.get(share.jobId);
      if (olderTime !== undefined && share.nTime === olderTime && share.nTime !== job.nTime)
        return this.#reject(token, rejectOf("job-not-found"), true);
      v = validateSubmit(check, share);
    }
    if (!v.ok) return this.#reject(token, v.reject);
    const credited = v.creditedDifficulty;
    const poolDifficulty = this.#up.difficulty;
    const toPool = poolDifficulty !== null && meetsPool(v, poolDifficulty);
    this.#ctx.log.debug("share accepted", {
      session: this.id,
      job: job.id,
      shareDifficulty: v.shareDifficulty,
      credited,
      toPool,
    });
    // Acknowledged (and forwarded) only once the ledger has it on disk. The key makes a retried
    // commit count the share once (share-key.ts).
    const key = shareKey(lease.extranonce1, job, share);
    this.#ctx.ledger.credit({ worker, difficulty: credited, at: now, key }, (error) => {
      if (error !== null) {
        // A full queue refuses shares by the thousand: the ledger logs its outage once, this is detail.
        const say = error.code === "E_LEDGER_FULL" ? this.#ctx.log.debug : this.#ctx.log.error;
        say("share not credited", {
          session: this.id,
          code: error.code,
          message: error.message,
        });
        this.#ctx.stats.rejected(BRIDGE_REJECTS.ledger.code);
        this.#tally.reject(false, false);
        this.#publishReject(BRIDGE_REJECTS.ledger, false, now);
        if (!this.#closed)
          this.#sink.result({ token, outcome: { status: "rejected", reject: BRIDGE_REJECTS.ledger } });
        return;
      }
      // Counted as a valid share (invalid window, vardiff) only once the ledger has it.
      if (!this.#closed) this.#credited(now);
      this.#ctx.stats.accepted(now, credited);
      this.#tally.credit(now, credited);
      this.#ctx.events.publish({
        type: "share",
        at: now,
        worker,
        session: this.id,
        transport: this.hello.transport,
        verdict: "accepted",
        difficulty: credited,
        stale: false,
        forwarded: toPool,
      });
      if (toPool)
        this.#up.forward(upstreamShareOf(job, lease, share), {
          worker,
          session: this.id,
          jobId: job.id,
          difficulty: credited,
          ...(v.blockCandidate ? { blockHash: blockHashOf(v.hash) } : {}),
        });
      if (!this.#closed)
        this.#sink.result({
          token,
          outcome: { status: "accepted", difficulty: credited, forwarded: toPool },
        });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lease?.book.release(this.#lease.id);
    this.#lease = null;
    this.#up.leave(this);
    this.#ctx.closed(this);
  }

  // ---- driven by the upstream session -------------------------------------------------------

  /** A new lease (new pool extranonce1), or none (pool gone): work restarts clean. */
  assign(lease: Lease | null): void {
    if (this.#lease !== null) this.#previous = this.#lease;
    this.#lease = lease;
    this.#needsClean = true;
    this.#memory?.clear();
    if (this.#jobIds.size > 0) {
      this.#olderJobIds = this.#jobIds;
      this.#jobIds = new Map();
    }
  }

  /** No work now: the miner is told to pause, once, until the next work. */
  idle(reason: string): void {
    if (this.#closed || this.#paused) return;
    this.#paused = true;
    this.#sink.pause?.(reason);
  }

  /** Work for a new job; `clean` when the pool voided older jobs. */
  deliver(job: Job, clean: boolean): void {
    if (this.#closed || this.#lease === null) return;
    if (clean) this.#memory?.clear();
    this.#applyDifficulty();
    this.#paused = false;
    if (!this.#jobIds.has(job.id)) {
      if (this.#jobIds.size >= JOB_IDS_KEPT) this.#jobIds.delete(this.#jobIds.keys().next().value!);
      this.#jobIds.set(job.id, job.nTime);
    }
    const xn1 = this.#lease.extranonce1;
    this.#sink.work({
      jobId: job.id,
      job,
      extranonce1: xn1,
      extranonce2Size: 32 - xn1.length,
      target: difficultyToTarget(this.#difficulty),
      difficulty: this.#difficulty,
      clean: clean || this.#needsClean,
    });
    this.#needsClean = false;
  }

  /**
   * Vardiff between jobs (the core calls it about once a second): a miner that has found no share
   * for more than two share intervals is eased down now, with the current job again.
   */
  tick(now: number): void {
    if (this.#closed) return;
    const goal = this.#vardiffOptions.targetShareSeconds * 1000;
    const elapsed = now - this.#quickStart;
    if (elapsed < QUICK_FACTOR * goal) return;
    const average = elapsed / Math.max(this.#quickShares, 1);
    if (average <= QUICK_FACTOR * goal) return;
    this.#retarget(this.#difficulty * Math.max(1 / QUICK_MAX_STEP, goal / average), now);
  }

  notice(text: string): void {
    if (!this.#closed) this.#sink.message?.(text);
  }

  /** The core or the upstream ends the session: tell the transport, then forget it. */
  end(e: SessionEnd): void {
    if (this.#closed) return;
    this.#sink.end(e);
    this.close();
  }

  // ---- internals ----------------------------------------------------------------------------

  /**
   * A miner far too fast for its difficulty (a rig starting at tcp_difficulty, say) hits the rate
   * limit long before vardiff's window ends. Rather than only refusing and then ending it, make it
   * ×4 harder now and resend the current job with the new target, at most once a second (its
   * shares already in flight were found with the old one). False when nothing changed: at most
   * once a second, and not past the bounds or the pool's difficulty — then a flood ends the session.
   */
  #slowDown(now: number): boolean {
    const job = this.#up.latest;
    // No job to carry a harder target (no lease, no work): nothing changed, nothing forgiven.
    if (now - this.#slowedAt < SLOW_DOWN_MS || job === null || this.#lease === null || this.#closed)
      return false;
    const pool = this.#up.difficulty ?? Infinity;
    const next = Math.min(this.#maxDifficulty, pool, (this.#pendingDifficulty ?? this.#difficulty) * 4);
    if (next <= this.#difficulty) return false;
    this.#slowedAt = now;
    this.#ctx.log.debug("miner over the share rate limit: difficulty raised at once", {
      session: this.id,
      to: next,
    });
    this.#pendingDifficulty = next;
    this.deliver(job, false);
    return true;
  }

  /** A share the ledger committed: the invalid-share window, windowed vardiff, quick retarget. */
  #credited(now: number): void {
    this.#invalidWindow().record(true);
    const next = this.#vardiff.onShare(now, this.#pendingDifficulty ?? this.#difficulty);
    if (next !== null) this.#pendingDifficulty = next;
    // Between jobs: a miner at least ×2 too fast over one share interval (and QUICK_MIN_SHARES
    // shares) is raised now. One judgement per interval, so at most one retarget per interval.
    this.#quickShares++;
    const goal = this.#vardiffOptions.targetShareSeconds * 1000;
    const elapsed = now - this.#quickStart;
    if (elapsed < goal) return;
    const average = elapsed / this.#quickShares;
    if (this.#quickShares >= QUICK_MIN_SHARES && average * QUICK_FACTOR <= goal)
      this.#retarget(this.#difficulty * Math.min(QUICK_MAX_STEP, goal / average), now);
    else {
      this.#quickStart = now;
      this.#quickShares = 0;
    }
  }

  /** A difficulty change between jobs: the current job again (not clean) with the new target. */
  #retarget(to: number, now: number): void {
    this.#quickStart = now;
    this.#quickShares = 0;
    let next = Math.min(this.#maxDifficulty, Math.max(this.#minDifficulty, to));
    const pool = this.#up.difficulty;
    if (pool !== null) next = Math.min(next, pool);
    const job = this.#up.latest;
    if (next === this.#difficulty || job === null || this.#lease === null) return;
    // The windowed vardiff starts over from the new difficulty.
    this.#vardiff = new Vardiff(this.#vardiffOptions, now);
    this.#pendingDifficulty = next;
    this.#ctx.log.debug("miner far off its share interval: difficulty changed between jobs", {
      session: this.id,
      from: this.#difficulty,
      to: next,
    });
    this.deliver(job, false);
  }

  /** Vardiff's pending value (or a tick's), bounded, and never harder than the pool. */
  #applyDifficulty(): void {
    const eased = this.#vardiff.onTick(this.#ctx.now(), this.#pendingDifficulty ?? this.#difficulty);
    let next = eased ?? this.#pendingDifficulty ?? this.#difficulty;
    this.#pendingDifficulty = null;
    next = Math.min(this.#maxDifficulty, Math.max(this.#minDifficulty, next));
    const pool = this.#up.difficulty;
    if (pool !== null) next = Math.min(next, pool);
    if (next === this.#difficulty) return;
    this.#ctx.log.debug("miner difficulty changed", { session: this.id, from: this.#difficulty, to: next });
    this.#previousDifficulty = this.#difficulty;
    this.#difficulty = next;
    // Shares found at the old difficulty say nothing about the new one: the quick window starts over.
    this.#quickStart = this.#ctx.now();
    this.#quickShares = 0;
  }

  #reject(token: unknown, reject: ShareReject, stale = false): void {
    this.#ctx.stats.rejected(reject.code);
    if (stale) this.#ctx.stats.stale();
    const invalid = countsAsInvalid(reject);
    if (invalid) this.#ctx.stats.invalid();
    this.#tally.reject(stale, invalid);
    const now = this.#ctx.now();
    if (this.#worker !== null && reject !== BRIDGE_REJECTS.closing)
      this.#ctx.ledger.reject(this.#worker, reject.code, now);
    this.#publishReject(reject, stale, now);
    this.#ctx.log.debug("share rejected", { session: this.id, code: reject.code, reason: reject.message });
    this.#sink.result({ token, outcome: { status: "rejected", reject } });
    if (invalid && this.#invalidWindow().record(false)) {
      const w = this.#invalidWindow();
      this.#end({
        reason: "too-many-invalid",
        detail: `${w.invalid} of the last ${w.count} shares were invalid`,
      });
    }
  }

  #publishReject(reject: ShareReject, stale: boolean, at: number): void {
    this.#ctx.events.publish({
      type: "share",
      at,
      worker: this.#worker ?? "",
      session: this.id,
      transport: this.hello.transport,
      verdict: "rejected",
      code: reject.code,
      reason: reject.message,
      stale,
      forwarded: false,
    });
  }

  #invalidWindow(): InvalidShareWindow {
    return (this.#window ??= new InvalidShareWindow(this.#ctx.invalidWindow));
  }

  #end(e: SessionEnd): void {
    this.#ctx.log.info("miner session ended", {
      session: this.id,
      remote: this.hello.remote,
      reason: e.reason,
      ...("detail" in e ? { detail: e.detail } : {}),
    });
    this.end(e);
  }
}

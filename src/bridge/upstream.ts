// upstream.ts — one upstream session: a PoolClient (the configured failover list) and the miner
// sessions sharing its extranonce1. It turns the client's events into work for its sessions and
// carries their pool-target shares back up; it never decides a verdict (session.ts does).
//
// - extranonce (a new pool xn1, i.e. a new epoch): a fresh lease book; every session gets a new
//   lease and, with the job that follows, a clean job (verus-stratum.md §7 "new xn1 after
//   reconnect", §8). If P ‖ lease would not fit in 7 bytes, fewer lease bytes are used; if not
//   even one fits, the pool is unusable: logged once per pool (E_BRIDGE_EXTRANONCE) and abandoned,
//   so the client fails over to the next pool (or retries); sessions are paused meanwhile.
// - invalidate (connection gone or xn1 changed): jobs and leases of that epoch are void at once;
//   shares for them are stale ("21 job not found") until the new epoch brings work.
// - job: clean drops older jobs and frees quarantined leases; every session gets the job.
// - result: the pool's answer on a forwarded share, into the ledger, the counters and one log line.

import { hexToBytes, type Job } from "../protocol/index.ts";
import { JobWindow } from "../protocol/job-window.ts";
import {
  PoolClient,
  UpstreamError,
  type PoolClientOptions,
  type SubmitFate,
  type UpstreamEvent,
  type UpstreamShare,
} from "../upstream/index.ts";
import type { Logger } from "../util/log.ts";
import { BridgeError } from "./errors.ts";
import type { Ledger, PoolResultKind } from "../ledger/index.ts";
import { BlockCandidates } from "./blocks.ts";
import { LeaseBook, leaseBytesFor, MAX_SESSION_XN1_BYTES } from "./leases.ts";
import type {
  EventSink,
  ForwardToken,
  Lease,
  LeasedSession,
  SessionUpstream,
  UpstreamInfo,
} from "./contract.ts";
import type { BridgeCounters, UpstreamStats } from "./stats.ts";

export interface UpstreamContext {
  log: Logger;
  ledger: Ledger;
  events: EventSink;
  stats: BridgeCounters;
  now(): number;
  /** Configured lease bytes (k) and the cap on sessions per upstream session. */
  leaseBytes: number;
  sessionCap: number;
  maxJobs: number;
  /** Nothing left on this upstream session (no sessions, no forwarded share pending). */
  idle(slot: UpstreamSlot): void;
}

const POOL_KIND: Record<SubmitFate["status"], PoolResultKind> = {
  accepted: "accepted",
  rejected: "rejected",
  stale: "stale",
  timeout: "lost",
  lost: "lost",
  dropped: "lost",
};

export class UpstreamSlot implements SessionUpstream {
  readonly index: number;
  readonly #ctx: UpstreamContext;
  readonly #client: PoolClient<ForwardToken>;
  readonly #members = new Set<LeasedSession>();
  readonly #jobs: JobWindow<Job>;
  #state = "idle";
  #epoch: number | null = null;
  #xn1: Uint8Array | null = null;
  #xn1Hex: string | null = null;
  #leases: LeaseBook | null = null;
  /** The current epoch's extranonce1 left no room for a lease (until the next epoch). */
  #refused = false;
  /** Pools already logged as unusable for their extranonce1 (logged once per pool). */
  readonly #unusable = new Set<string>();
  #pool: string | null = null;
  #difficulty: number | null = null;
  #latest: Job | null = null;
  #pending = 0;
  readonly #blocks: BlockCandidates;
  /** The pool this session last had work from (a connection to another one is a failover). */
  #servedFrom: string | null = null;
  /** For the operator API: the last answered share's round trip, failovers, the last job's time. */
  #latencyMs: number | null = null;
  #failovers = 0;
  #lastJobAt: number | null = null;

  /** Throws the client's coded option errors (E_POOL_URL, E_POOL_CONFIG, E_TLS_*). */
  constructor(index: number, client: PoolClientOptions, ctx: UpstreamContext) {
    this.index = index;
    this.#ctx = ctx;
    this.#jobs = new JobWindow(ctx.maxJobs);
    this.#blocks = new BlockCandidates(
      {
        ...ctx,
        tell: (id, text) => {
          for (const s of this.#members) if (s.id === id) s.notice(text);
        },
      },
      `upstream #${index}`,
    );
    this.#client = new PoolClient<ForwardToken>(client, (e) => this.handle(e));
  }

  start(): void {
    this.#client.start();
  }

  close(): Promise<void> {
    this.#blocks.flush();
    return this.#client.close();
  }

  get sessions(): number {
    return this.#members.size;
  }
  /** Forwarded shares the pool has not answered yet. */
  get pending(): number {
    return this.#pending;
  }
  get difficulty(): number | null {
    return this.#difficulty;
  }
  get latest(): Job | null {
    return this.#latest;
  }
  get refused(): boolean {
    return this.#refused;
  }
  /** Subscribed with a job of the current epoch: a miner can get work from it now. */
  get serving(): boolean {
    return this.#epoch !== null && this.#leases !== null && this.#latest !== null && !this.#refused;
  }
  /** Why it cannot serve (for /health), or null when it can. */
  get trouble(): string | null {
    if (this.serving) return null;
    const pool = this.#pool ?? this.#client.pool;
    if (this.#refused) return `${pool}: extranonce1 ${this.#xn1Hex} leaves no room for miner leases`;
    if (this.#epoch === null) return `${pool}: ${this.#state}, not subscribed`;
    return `${pool}: subscribed, no job yet`;
  }

  /** Whether a new session fits: a free lease now, or room once the pool's xn1 is known. */
  canAdmit(): boolean {
    if (this.#leases !== null) return this.#leases.available > 0;
    return this.#members.size < Math.min(this.#ctx.sessionCap, 256 ** this.#ctx.leaseBytes);
  }

  join(s: LeasedSession): void {
    this.#members.add(s);
    this.#urgent();
    // Leased when the pool's extranonce1 arrives; until there is work it waits, paused.
    if (this.#leases !== null) s.assign(this.#leaseFor(this.#leases));
    if (this.#latest !== null && this.#leases !== null) s.deliver(this.#latest, true);
    else s.idle(this.trouble ?? "waiting for the pool");
  }

  leave(s: LeasedSession): void {
    this.#members.delete(s);
    this.#urgent();
    this.#checkIdle();
  }

  /** Miners attached: the client reconnects fast; none: the long backoff is fine. */
  #urgent(): void {
    this.#client.setUrgent(this.#members.size > 0);
  }

  job(jobId: string): Job | undefined {
    return this.#jobs.get(jobId);
  }

  jobKey(jobId: string): string {
    return `${this.index}:${this.#epoch}:${jobId}`;
  }

  forward(share: UpstreamShare, token: ForwardToken): void {
    this.#pending++;
    this.#ctx.stats.forwarded();
    this.#client.submit(share, {
      ...token,
      poolDifficulty: this.#difficulty ?? undefined,
      sentAt: this.#ctx.now(),
    });
  }

  stats(): UpstreamStats {
    return {
      url: this.#client.pool,
      state: this.#state,
      extranonce1: this.#xn1Hex,
      difficulty: this.#difficulty,
      sessions: this.#members.size,
    };
  }

  /** This upstream session for the operator API (the pool's URL without credentials). */
  info(): UpstreamInfo {
    return {
      index: this.index,
      url: withoutCredentials(this.#client.pool),
      state: this.#state,
      difficulty: this.#difficulty,
      extranonce1: this.#xn1Hex,
      sessions: this.#members.size,
      latencyMs: this.#latencyMs,
      failovers: this.#failovers,
      lastJobAt: this.#lastJobAt,
      pending: this.#pending,
    };
  }

  /** One event of the pool client (public so tests can play a pool's events without one). */
  handle(e: UpstreamEvent<ForwardToken>): void {
    const log = this.#ctx.log;
    const tag = `upstream #${this.index}`;
    switch (e.type) {
      case "state":
        this.#state = e.state;
        if (e.state === "connected" && e.pool !== null) {
          // Another pool than the one last served from: a failover (or the return to the primary).
          const from = this.#servedFrom;
          if (from !== null && from !== e.pool) this.#failovers++;
          this.#publishUpstream(
            from !== null && from !== e.pool ? "failover" : "connected",
            e.pool,
            from === null || from === e.pool ? undefined : `from ${withoutCredentials(from)}`,
          );
        }
        if (e.state === "disconnected" && e.error.code !== "E_CLIENT_CLOSED" && e.pool !== null)
          this.#publishUpstream("lost", e.pool, `${e.error.code} ${e.error.message}`);
        if (e.pool !== null) this.#pool = e.pool;
        if (e.state === "connecting")
          return log.info(`${tag} connecting to ${e.pool} (attempt ${e.attempt})`);
        if (e.state === "disconnected") {
          const line = `${tag} disconnected from ${e.pool}: ${e.error.code} ${e.error.message}`;
          return e.error.code === "E_CLIENT_CLOSED" ? log.info(line) : log.warn(line); // ours to close: not a warning
        }
        if (e.state === "waiting")
          return log.info(`${tag} next attempt on ${e.pool} in ${Math.round(e.delayMs)} ms (${e.reason})`);
        return log.info(`${tag} ${e.state}${e.pool === null ? "" : ` ${e.pool}`}`);
      case "extranonce":
        return this.#newEpoch(e.epoch, e.extranonce1, e.pool, tag);
      case "invalidate":
        if (e.epoch !== this.#epoch) return;
        log.info(`${tag} work of extranonce1 ${this.#xn1Hex} void (${e.reason})`);
        this.#epoch = null;
        this.#leases = null;
        this.#jobs.clear();
        this.#latest = null;
        this.#refused = false;
        for (const s of [...this.#members]) s.assign(null);
        this.#idleAll(`pool ${e.reason}`);
        return;
      case "target":
        if (e.epoch !== this.#epoch || !(e.difficulty > 0) || !Number.isFinite(e.difficulty)) return;
        if (e.difficulty !== this.#difficulty)
          log.info(`${tag} pool difficulty ${e.difficulty} (${e.source})`);
        this.#difficulty = e.difficulty;
        return;
      case "job":
        return this.#onJob(e.epoch, e.job, e.clean);
      case "result":
        return this.#onResult(e.token, e.outcome, tag);
      case "message":
        log.info(`${tag} pool message: ${JSON.stringify(e.text.slice(0, 200))}`);
        if (this.#blocks.poolSays(e.text)) return; // for the finder only
        for (const s of [...this.#members]) s.notice(e.text);
        return;
      case "warning":
        // Something the pool sent that was handled as the spec says but must not go unseen.
        this.#ctx.stats.upstreamError(e.error.code);
        log.warn(`${tag} ${e.pool}: ${e.error.code} ${e.error.message}`);
        return;
    }
  }

  /** No work can be had now: every session stops hashing until the next work. */
  #idleAll(reason: string): void {
    for (const s of [...this.#members]) s.idle(reason);
  }

  #newEpoch(epoch: number, xn1Hex: string, pool: string, tag: string): void {
    const log = this.#ctx.log;
    this.#pool = pool;
    this.#epoch = epoch;
    this.#xn1Hex = xn1Hex;
    this.#xn1 = hexToBytes(xn1Hex);
    this.#jobs.clear();
    this.#latest = null;
    const k = leaseBytesFor(this.#xn1.length, this.#ctx.leaseBytes);
    if (k === 0) {
      // Unusable: never "authorized" and stuck. The client closes it and tries the next pool.
      this.#refused = true;
      this.#leases = null;
      const err = new BridgeError(
        "E_BRIDGE_EXTRANONCE",
        `${tag}: the pool's extranonce1 ${xn1Hex} is ${this.#xn1.length} bytes; a lease needs it to be at most ${MAX_SESSION_XN1_BYTES - 1}`,
        { pool, extranonce1: xn1Hex },
      );
      if (!this.#unusable.has(pool)) {
        this.#unusable.add(pool);
        log.error(`${err.code} ${err.message}`);
      }
      for (const s of [...this.#members]) s.assign(null);
      this.#idleAll("the pool's extranonce1 leaves no room for miner leases");
      this.#client.abandon(
        new UpstreamError(
          "E_POOL_UNUSABLE",
          `extranonce1 ${xn1Hex} is too long for the bridge's leases`,
          { cause: err.code, extranonce1: xn1Hex },
          { cause: err },
        ),
      );
      return;
    }
    this.#refused = false;
    const book = new LeaseBook(k, this.#ctx.sessionCap);
    this.#leases = book;
    const reduced =
      k < this.#ctx.leaseBytes
        ? ` (reduced from ${this.#ctx.leaseBytes}: the pool's extranonce1 is ${this.#xn1.length} bytes)`
        : "";
    log.info(`${tag} extranonce1 ${xn1Hex}: ${k}-byte leases${reduced}, room for ${book.capacity} sessions`);
    // Every session keeps its connection: a new lease in-band, clean work with the next job. Only
    // when the new extranonce1 leaves fewer leases than sessions (shorter leases) are the last ones
    // ended, so their miners reconnect to a bridge session with room.
    for (const s of [...this.#members]) {
      const lease = this.#leaseFor(book);
      if (lease !== null) s.assign(lease);
      else {
        log.warn(`${tag} no lease left for session ${s.id} under the new extranonce1: closing it`);
        s.end({ reason: "bridge-closing" });
      }
    }
  }

  #leaseFor(book: LeaseBook): Lease | null {
    const id = book.allocate();
    if (id === null || this.#xn1 === null || this.#epoch === null) return null;
    const idHex = book.hex(id);
    const extranonce1Hex = this.#xn1Hex + idHex;
    return { book, id, epoch: this.#epoch, extranonce1: hexToBytes(extranonce1Hex), extranonce1Hex, idHex };
  }

  #onJob(epoch: number, job: Job, clean: boolean): void {
    if (epoch !== this.#epoch || this.#leases === null) return;
    if (this.#latest === null && this.#pool !== null) {
      this.#servedFrom = this.#pool;
      this.#publishUpstream("serving", this.#pool);
    }
    this.#ctx.log.debug(`upstream #${this.index} job ${job.id}${clean ? " (clean)" : ""}`);
    if (clean) this.#leases.cleanJob();
    this.#jobs.put(job.id, job, clean);
    this.#latest = job;
    this.#lastJobAt = this.#ctx.now();
    for (const s of [...this.#members]) s.deliver(job, clean);
  }

  #onResult(t: ForwardToken, outcome: SubmitFate, tag: string): void {
    this.#pending--;
    const kind = POOL_KIND[outcome.status];
    const now = this.#ctx.now();
    // The pool's answer (not our timeout or a lost connection): its round trip.
    if (t.sentAt !== undefined && (kind === "accepted" || kind === "rejected" || kind === "stale"))
      this.#latencyMs = Math.max(0, now - t.sentAt);
    this.#ctx.ledger.poolResult(t.worker, kind, now);
    this.#ctx.stats.poolResult(kind);
    this.#ctx.events.publish({
      type: "pool_result",
      at: now,
      worker: t.worker,
      session: t.session,
      job: t.jobId,
      result: kind,
      ...(outcome.status === "rejected" ? { code: outcome.reject.code, reason: outcome.reject.message } : {}),
      ...(outcome.status !== "rejected" && "reason" in outcome ? { reason: outcome.reason } : {}),
    });
    // A share that met the block target: the pool submits the block (blocks.ts waits for its word).
    if (t.blockHash !== undefined) this.#blocks.candidate(t.blockHash, t.worker, t.session, kind);
    const what =
      outcome.status === "rejected"
        ? `rejected ${outcome.reject.code} ${outcome.reject.message}`
        : "reason" in outcome
          ? `${outcome.status} (${outcome.reason})`
          : outcome.status;
    this.#ctx.log.info(
      `${tag} share of ${t.worker} (session ${t.session}, job ${t.jobId}, pool difficulty ${t.poolDifficulty ?? "unknown"}, miner difficulty ${t.difficulty}): ${what}`,
    );
    this.#checkIdle();
  }

  #publishUpstream(
    state: "connected" | "serving" | "lost" | "failover",
    pool: string,
    detail?: string,
  ): void {
    this.#ctx.events.publish({
      type: "upstream",
      at: this.#ctx.now(),
      upstream: this.index,
      state,
      pool: withoutCredentials(pool),
      ...(detail === undefined ? {} : { detail }),
    });
  }

  #checkIdle(): void {
    if (this.#members.size === 0 && this.#pending === 0) this.#ctx.idle(this);
  }
}

/** A pool URL for logs and events: any user:password@ taken out. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, "$1");
}

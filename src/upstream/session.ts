// session.ts — one Stratum client session with a Verus pool, as a sans-IO state machine: the
// transport feeds it lines and the time, it answers with lines to send and typed events. No
// sockets, no timers (STYLE.md principle 1); PoolClient drives it, the tests drive it directly.
//
// Rules it keeps (verus-stratum.md §2, §3, §7, §11):
// - subscribe (offering the previous subscription id as session id), then authorize, then
//   mining.extranonce.subscribe when configured — whose answer is never waited for (Miningcore
//   sends none; node-stratum-pool answers false + [20, "Not supported."]);
// - set_target / set_difficulty / notify are accepted in any state, even before authorize;
//   until the pool sends a target, difficulty 1 (0008…) is assumed (v-nomp never sends set_target
//   on a difficulty-1 port);
// - request ids are ours, monotonic per connection, and responses are matched by id, never order;
// - at most 3 submits in flight (submits.ts), none before authorize, stale ones never sent;
// - never mining.ping the pool; answer its client.get_version, client.show_message and mining.ping;
// - every call has a timeout: subscribe/authorize end the session, a submit is reported "timeout"
//   and ends it too — a pool that leaves a share unanswered for that long is a half-open or
//   stuck connection, and without pings nothing else would notice.
// Any ProtocolError from the pool ends the session with E_POOL_PROTOCOL (reconnect; never a crash).

import {
  decodeBooleanResult,
  decodeFromPool,
  decodeSubscribeResult,
  difficultyToTarget,
  isProtocolError,
  targetToDifficulty,
  toLine,
  type PoolMessage,
  type Job,
  type RpcResponse,
} from "../protocol/index.ts";
import { CallTable } from "./calls.ts";
import { poolProtocolError, UpstreamError } from "./errors.ts";
import type { Logger } from "../util/log.ts";
import type { SubmitFate, TargetSource, UpstreamShare } from "./events.ts";
import { JobBook } from "./jobs.ts";
import {
  answerPoolRequest,
  authorizeLine,
  extranonceSubscribeLine,
  subscribeLine,
  type Redirect,
} from "./outgoing.ts";
import { SharePipeline } from "./share-pipeline.ts";

export interface SessionOptions {
  user: string;
  password: string;
  userAgent: string;
  /** The previous subscription id on this pool, offered as session id (as ccminer does). */
  sessionId: string | null;
  extranonceSubscribe: boolean;
  subscribeTimeoutMs: number;
  authorizeTimeoutMs: number;
  submitTimeoutMs: number;
  /** Authorized and still no mining.notify after this long: E_NO_JOB ends the session. */
  noJobTimeoutMs: number;
  /** May client.reconnect send us to `host`? (The same host, or one of the configured pools.) */
  allowRedirect: (host: string) => boolean;
  maxInFlightSubmits: number;
  maxQueuedSubmits: number;
  maxJobs: number;
  /** Hands out epoch numbers, monotonic across all of the client's connections. */
  nextEpoch: () => number;
  log: Logger;
}

export type SessionEvent<T> =
  | {
      type: "subscribed";
      subscriptionId: string | null;
      epoch: number;
      extranonce1: string;
      extranonce2Size: number;
    }
  | { type: "authorized" }
  | { type: "extranonce"; previousEpoch: number; epoch: number; extranonce1: string; extranonce2Size: number }
  | { type: "target"; epoch: number; target: bigint; difficulty: number; source: TargetSource }
  | { type: "job"; epoch: number; job: Job; clean: boolean; extranonce1: string }
  | { type: "result"; token: T; jobId: string; outcome: SubmitFate }
  | { type: "message"; text: string }
  /** Something the pool sent was refused and ignored (E_POOL_DIFFICULTY, E_POOL_REDIRECT_REFUSED). */
  | { type: "warning"; error: UpstreamError }
  /** The session is over (already closed); the driver closes the connection with `reason`. */
  | { type: "end"; reason: UpstreamError; redirect: Redirect | null };

export type SessionPhase = "idle" | "subscribing" | "subscribed" | "authorized" | "closed";

const DEFAULT_TARGET = difficultyToTarget(1);

/**
 * The hardest share target a pool may set: difficulty 1e15 (the highest [builtin_pool] accepts;
 * about 70 000 × the network difficulty of verushash.md §6). A harder one — set_difficulty 1e300
 * becomes target 0 — could never be met: it is refused and the previous target kept.
 */
const MIN_TARGET = difficultyToTarget(1e15);

export class StratumSession<T> {
  readonly #o: SessionOptions;
  readonly #emit: (e: SessionEvent<T>) => void;
  readonly #send: (line: string) => void;
  readonly #calls = new CallTable<T>();
  readonly #shares: SharePipeline<T>;
  readonly #jobs: JobBook;
  #phase: SessionPhase = "idle";
  #epoch: number | null = null;
  #extranonce1: string | null = null;
  #target: bigint | null = null;
  #targetSource: TargetSource = "default";
  #draining = false;
  /** A job event was emitted on this session. */
  #hadJob = false;
  /**
   * When E_NO_JOB ends the session unless it is working (authorized, with a job) by then: armed at
   * authorize while no job came yet (noJobTimeoutMs), or earlier by hurry().
   */
  #jobDeadline: number | null = null;

  constructor(o: SessionOptions, emit: (e: SessionEvent<T>) => void, send: (line: string) => void) {
    this.#o = o;
    this.#emit = emit;
    this.#send = send;
    this.#shares = new SharePipeline<T>(
      {
        calls: this.#calls,
        worker: o.user,
        submitTimeoutMs: o.submitTimeoutMs,
        log: o.log,
        staleness: (s) =>
          s.share.epoch !== this.#epoch ? "old-epoch" : this.#jobs.has(s.share.jobId) ? null : "job-gone",
        send: (text) => this.#write(text),
        report: (s, outcome) => this.#emit({ type: "result", token: s.token, jobId: s.share.jobId, outcome }),
      },
      o.maxInFlightSubmits,
      o.maxQueuedSubmits,
    );
    this.#jobs = new JobBook(o.maxJobs);
  }

  get phase(): SessionPhase {
    return this.#phase;
  }
  get epoch(): number | null {
    return this.#epoch;
  }
  get extranonce1(): string | null {
    return this.#extranonce1;
  }
  /** The share target in force (difficulty 1's until the pool sends one). */
  get target(): bigint {
    return this.#target ?? DEFAULT_TARGET;
  }
  get submitsInFlight(): number {
    return this.#shares.inFlight;
  }
  get submitsWaiting(): number {
    return this.#shares.waiting;
  }

  /** The connection is open: subscribe. */
  start(now: number): void {
    if (this.#phase !== "idle") throw new RangeError("session already started");
    this.#phase = "subscribing";
    const id = this.#calls.open("subscribe", now + this.#o.subscribeTimeoutMs);
    this.#write(subscribeLine(id, this.#o.userAgent, this.#o.sessionId));
  }

  /** One line from the pool (without "\n"). */
  receive(line: string, now: number): void {
    if (this.#phase === "closed") return;
    try {
      const m = decodeFromPool(line);
      if ("kind" in m) this.#onResponse(m, now);
      else this.#onCall(m, now);
    } catch (e) {
      if (!isProtocolError(e)) throw e;
      // A set_difficulty the decoder refused (0, negative, NaN, Infinity) is a bad value, not an
      // unreadable pool: keep the target we have (never silent). A set_target that is not 64 hex
      // digits stays a protocol error.
      if (e.detail.method === "mining.set_difficulty")
        return this.#refuseTarget("mining.set_difficulty", e.message, { protocolCode: e.code });
      this.#end(poolProtocolError(e));
    }
  }

  /** Fire the timeouts due at `now`. */
  tick(now: number): void {
    if (this.#phase === "closed") return;
    const due = this.#calls.expired(now);
    for (const call of due) if (call.kind === "submit") this.#shares.timedOut(call.submission);
    const first = due[0];
    if (first !== undefined) {
      this.#end(
        new UpstreamError(
          "E_CALL_TIMEOUT",
          `the pool did not answer ${first.kind} (id ${first.id}) in time`,
          { method: first.kind, id: first.id },
        ),
      );
    } else if (this.#jobDeadline !== null && now >= this.#jobDeadline) {
      this.#end(
        new UpstreamError("E_NO_JOB", `no work from the pool in time (still ${this.#phase}, no job yet)`, {
          phase: this.#phase,
          hadJob: this.#hadJob,
        }),
      );
    }
  }

  /** The earliest pending timeout, or null. */
  nextDeadline(): number | null {
    const call = this.#calls.nextDeadline();
    const job = this.#jobDeadline;
    return call === null ? job : job === null ? call : Math.min(call, job);
  }

  /** Forward a share (reported once through a `result` event, whatever happens to it). */
  submit(share: UpstreamShare, token: T, now: number): void {
    this.#shares.offer({ share, token }, now);
  }

  /**
   * Miners are waiting: unless this session is working (authorized, with a job) by `deadline`,
   * E_NO_JOB ends it — a pool that accepts the connection and then says nothing must not hold
   * them for the 30 s of the call timeouts.
   */
  hurry(deadline: number): void {
    if (this.#phase === "closed" || (this.#phase === "authorized" && this.#hadJob)) return;
    this.#jobDeadline = Math.min(this.#jobDeadline ?? Infinity, deadline);
  }

  /** Stop sending submits (a switch is coming); `idle` tells when the last answer arrived. */
  drain(): void {
    this.#draining = true;
    this.#shares.pause();
  }
  get idle(): boolean {
    return this.#shares.inFlight === 0;
  }

  /** The connection is gone: report every pending share. Idempotent. */
  close(reason: UpstreamError): void {
    if (this.#phase === "closed") return;
    this.#phase = "closed";
    this.#shares.abandon(this.#calls.clear(), reason.code);
  }

  #end(reason: UpstreamError, redirect: Redirect | null = null): void {
    if (this.#phase === "closed") return;
    this.close(reason);
    this.#emit({ type: "end", reason, redirect });
  }

  #onResponse(r: RpcResponse, now: number): void {
    const call = this.#calls.take(r.id);
    if (call === undefined) return this.#o.log.debug("response to no pending request ignored", { id: r.id });
    switch (call.kind) {
      case "subscribe":
        return this.#onSubscribed(r, now);
      case "authorize": {
        const { ok, error } = decodeBooleanResult(r);
        if (!ok) {
          const why = error === null ? "answered false" : `[${error.code}, "${error.message}"]`;
          return this.#end(
            new UpstreamError("E_AUTH_FAILED", `the pool refused ${this.#o.user}: ${why}`, {
              user: this.#o.user,
              rpcCode: error?.code ?? null,
            }),
          );
        }
        this.#phase = "authorized";
        if (this.#hadJob) this.#jobDeadline = null;
        else this.#jobDeadline = Math.min(this.#jobDeadline ?? Infinity, now + this.#o.noJobTimeoutMs);
        this.#emit({ type: "authorized" });
        if (!this.#isClosed() && !this.#draining) this.#shares.open(now);
        return;
      }
      case "extranonce.subscribe": {
        const ok = r.result === true && r.error === null;
        this.#o.log.info(ok ? "extranonce.subscribe accepted" : "pool declined extranonce.subscribe", {
          error: r.error?.message ?? null,
        });
        return;
      }
      case "submit":
        return this.#shares.answered(call.submission, r, now);
    }
  }

  #onSubscribed(r: RpcResponse, now: number): void {
    if (r.error !== null) {
      return this.#end(
        new UpstreamError(
          "E_SUBSCRIBE_FAILED",
          `mining.subscribe failed: [${r.error.code}, "${r.error.message}"]`,
          { rpcCode: r.error.code },
        ),
      );
    }
    const sub = decodeSubscribeResult(r.result);
    this.#phase = "subscribed";
    this.#setExtranonce(sub.extranonce1);
    this.#emit({
      type: "subscribed",
      subscriptionId: sub.subscriptionId,
      epoch: this.#epoch!,
      extranonce1: sub.extranonce1,
      extranonce2Size: 32 - sub.extranonce1.length / 2,
    });
    this.#announceTarget(); // a set_target that came before the subscribe result
    if (this.#isClosed()) return;
    const auth = this.#calls.open("authorize", now + this.#o.authorizeTimeoutMs);
    this.#write(authorizeLine(auth, this.#o.user, this.#o.password));
    if (this.#o.extranonceSubscribe) {
      this.#write(extranonceSubscribeLine(this.#calls.open("extranonce.subscribe", null)));
    }
    this.#emitLatestJob();
  }

  #onCall(m: PoolMessage, now: number): void {
    switch (m.method) {
      case "mining.set_target":
        return this.#setTarget(m.target, "set_target");
      case "mining.set_difficulty": {
        // Only difficulties the decoder let through (finite, > 0) reach this; 1e300 still makes 0.
        const target = difficultyToTarget(m.difficulty);
        return this.#setTarget(target, "set_difficulty", m.difficulty);
      }
      case "mining.notify": {
        const { job, clean } = this.#jobs.accept(m);
        if (this.#epoch === null) return; // announced once subscribed (#onSubscribed)
        if (clean) this.#shares.purge("job-gone", (s) => !this.#jobs.has(s.share.jobId));
        if (this.#target === null) this.#setTarget(DEFAULT_TARGET, "default");
        if (this.#isClosed()) return;
        this.#jobEmitted();
        this.#emit({ type: "job", epoch: this.#epoch, job, clean, extranonce1: this.#extranonce1! });
        return this.#shares.pump(now);
      }
      case "mining.set_extranonce": {
        if (this.#epoch === null)
          return this.#o.log.warn("set_extranonce before the subscribe result ignored");
        const previousEpoch = this.#epoch;
        this.#setExtranonce(m.extranonce1);
        this.#shares.purge("old-epoch", () => true);
        if (this.#isClosed()) return;
        this.#emit({
          type: "extranonce",
          previousEpoch,
          epoch: this.#epoch,
          extranonce1: m.extranonce1,
          extranonce2Size: 32 - m.extranonce1.length / 2,
        });
        return this.#emitLatestJob();
      }
      default: {
        const a = answerPoolRequest(m, this.#o.userAgent);
        if (a.note !== null) this.#o.log.info(a.note);
        if (a.reply !== null) this.#write(a.reply);
        if (a.message !== null) this.#emit({ type: "message", text: a.message });
        if (a.redirect !== null && a.redirect.host !== null && !this.#o.allowRedirect(a.redirect.host))
          return this.#warn(
            new UpstreamError(
              "E_POOL_REDIRECT_REFUSED",
              "client.reconnect to a host that is neither this pool's nor a configured one: ignored",
              { host: a.redirect.host.slice(0, 64), port: a.redirect.port },
            ),
          );
        if (a.redirect !== null)
          this.#end(
            new UpstreamError("E_POOL_RECONNECT", "the pool asked us to reconnect", { ...a.redirect }),
            a.redirect,
          );
        return;
      }
    }
  }

  #setExtranonce(xn1: string): void {
    this.#epoch = this.#o.nextEpoch();
    this.#extranonce1 = xn1;
  }

  /** Kept at once; announced once there is an epoch for it to belong to. */
  #setTarget(target: bigint, source: TargetSource, difficulty: number | null = null): void {
    if (target < MIN_TARGET) {
      const method = source === "set_difficulty" ? "mining.set_difficulty" : "mining.set_target";
      const what = difficulty !== null ? `difficulty ${difficulty}` : `target ${target.toString(16)}`;
      return this.#refuseTarget(method, `${what} is harder than any share can meet`, {
        difficulty,
        target: target.toString(16),
      });
    }
    this.#target = target;
    this.#targetSource = source;
    this.#announceTarget();
  }

  #announceTarget(): void {
    const target = this.#target;
    if (target === null || this.#epoch === null || this.#isClosed()) return;
    const difficulty = target === 0n ? Infinity : targetToDifficulty(target);
    this.#emit({ type: "target", epoch: this.#epoch, target, difficulty, source: this.#targetSource });
  }

  /** After a new extranonce1: the newest job, to be rebuilt with it, as a clean start. */
  #emitLatestJob(): void {
    const job = this.#jobs.latest;
    if (job === null || this.#isClosed() || this.#epoch === null) return;
    if (this.#target === null) this.#setTarget(DEFAULT_TARGET, "default");
    if (this.#isClosed()) return;
    this.#jobEmitted();
    this.#emit({ type: "job", epoch: this.#epoch, job, clean: true, extranonce1: this.#extranonce1! });
  }

  #jobEmitted(): void {
    this.#hadJob = true;
    if (this.#phase === "authorized") this.#jobDeadline = null;
  }

  /** An unusable set_target / set_difficulty: warned about, and the target in force stays. */
  #refuseTarget(method: string, why: string, detail: Record<string, unknown>): void {
    this.#warn(
      new UpstreamError("E_POOL_DIFFICULTY", `${method} ignored, the previous target is kept: ${why}`, {
        method,
        ...detail,
        kept: this.target.toString(16),
      }),
    );
  }

  #warn(error: UpstreamError): void {
    this.#emit({ type: "warning", error });
  }

  #write(text: string): void {
    this.#send(toLine(text));
  }

  /** A listener may close the client from inside an event. */
  #isClosed(): boolean {
    return this.#phase === "closed";
  }
}

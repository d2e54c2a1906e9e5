// share-pipeline.ts — the way of every share through one session: checked for staleness, queued
// behind the submit window (submits.ts: ≤ 3 in flight, the flood guard), sent when a slot frees,
// and reported exactly once — accepted, rejected, stale (never sent), timeout, lost or dropped.
//
// The session owns the facts (epoch, jobs, whether it is authorized); the pipeline asks them
// through `staleness` at the last moment before sending, since a job can die while its share
// waits. Sans-IO like the session: lines go out through `send`, outcomes through `report`.

import { SUBMITTED_SOLUTION_HEX_CHARS } from "../protocol/layout.ts";
import { decodeSubmitResult, type RpcResponse, type SubmitOutcome } from "../protocol/index.ts";
import type { CallTable } from "./calls.ts";
import type { UpstreamErrorCode } from "./errors.ts";
import type { Logger } from "../util/log.ts";
import type { StaleReason, SubmitFate } from "./events.ts";
import { submitLine } from "./outgoing.ts";
import { SubmitQueue, type Submission } from "./submits.ts";

export interface PipelineHost<T> {
  readonly calls: CallTable<T>;
  readonly worker: string;
  readonly submitTimeoutMs: number;
  readonly log: Logger;
  /** Null when the share may go to the pool now, else why it is stale. */
  staleness(s: Submission<T>): StaleReason | null;
  send(text: string): void;
  report(s: Submission<T>, outcome: SubmitFate): void;
}

export class SharePipeline<T> {
  readonly #h: PipelineHost<T>;
  readonly #queue: SubmitQueue<T>;
  /** Submits flow only while open: after authorize, and not while draining for a switch. */
  #open = false;
  /** The connection is gone: every new share is stale at once. */
  #abandoned = false;

  constructor(host: PipelineHost<T>, maxInFlight: number, maxQueued: number) {
    this.#h = host;
    this.#queue = new SubmitQueue<T>(maxInFlight, maxQueued);
  }

  get inFlight(): number {
    return this.#queue.inFlight;
  }
  get waiting(): number {
    return this.#queue.waiting;
  }

  /** Start sending (authorized). */
  open(now: number): void {
    this.#open = true;
    this.pump(now);
  }

  /** Stop sending; waiting shares stay queued (a switch is coming, or the connection ends). */
  pause(): void {
    this.#open = false;
  }

  /** A new share: stale at once, dropped if the waiting list is full, else queued and pumped. */
  offer(s: Submission<T>, now: number): void {
    const { solution, extranonce2, nTime, jobId } = s.share;
    if (
      solution.length > SUBMITTED_SOLUTION_HEX_CHARS || // longer: a caller bug that could trip the flood guard
      extranonce2.length > 64 ||
      nTime.length > 16 ||
      jobId.length > 128
    ) {
      throw new RangeError("share fields longer than any valid Verus submit");
    }
    if (this.#abandoned) return this.#h.report(s, { status: "stale", reason: "disconnected" });
    const stale = this.#h.staleness(s);
    if (stale !== null) return this.#h.report(s, { status: "stale", reason: stale });
    if (!this.#queue.push(s)) {
      this.#h.log.warn("submit queue full: share dropped", {
        limit: this.#queue.maxQueued,
        jobId: s.share.jobId,
      });
      return this.#h.report(s, { status: "dropped", reason: "queue-full" });
    }
    this.pump(now);
  }

  /** Send waiting shares while the window has room; stale ones are reported, never sent. */
  pump(now: number): void {
    while (this.#open && this.#queue.canSend) {
      const s = this.#queue.take();
      const stale = this.#h.staleness(s);
      if (stale !== null) {
        this.#queue.release();
        this.#h.report(s, { status: "stale", reason: stale });
        continue;
      }
      const id = this.#h.calls.openSubmit(s, now + this.#h.submitTimeoutMs);
      this.#h.send(submitLine(id, this.#h.worker, s.share));
    }
  }

  /** The pool answered a submit. A ProtocolError from an unreadable answer is rethrown. */
  answered(s: Submission<T>, r: RpcResponse, now: number): void {
    this.#queue.release();
    let verdict: SubmitOutcome;
    try {
      verdict = decodeSubmitResult(r);
    } catch (e) {
      // Reported here: the call is already off the books, and the session is about to end.
      this.#h.report(s, { status: "lost", reason: "E_POOL_PROTOCOL" });
      throw e;
    }
    this.#h.report(
      s,
      verdict.accepted ? { status: "accepted" } : { status: "rejected", reject: verdict.reject },
    );
    this.pump(now);
  }

  /** No answer in time (the session ends right after). */
  timedOut(s: Submission<T>): void {
    this.#queue.release();
    this.#h.report(s, { status: "timeout" });
  }

  /** Waiting shares that `dead` picks are reported stale for `reason` (a clean job, a new xn1). */
  purge(reason: StaleReason, dead: (s: Submission<T>) => boolean): void {
    for (const s of this.#queue.removeWhere(dead)) this.#h.report(s, { status: "stale", reason });
  }

  /** The connection is gone: `inFlight` (from the call table) lost, the waiting ones stale. */
  abandon(inFlight: Submission<T>[], code: UpstreamErrorCode): void {
    this.#open = false;
    this.#abandoned = true;
    const waiting = this.#queue.clear();
    for (const s of inFlight) this.#h.report(s, { status: "lost", reason: code });
    for (const s of waiting) this.#h.report(s, { status: "stale", reason: "disconnected" });
  }
}

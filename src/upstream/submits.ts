// submits.ts — the submit window: at most `maxInFlight` submits unanswered, the rest waiting in
// arrival order (never reordered, never silently dropped).
//
// Why 3: v-nomp and the whole node-stratum-pool family destroy the socket when more than 10 240
// bytes are buffered without being processed; one v7 submit is ≈ 2.8 KB, so 4 pipelined submits in
// one read kill the connection (verus-stratum.md §7, transcripts/ccminer383-vs-vnomp-v7). The
// waiting list is capped too (STYLE.md principle 10): past `maxQueued` a share is reported
// "dropped: queue-full" at once, loudly, instead of growing without bound behind a stalled pool.

import type { UpstreamShare } from "./events.ts";

export interface Submission<T> {
  share: UpstreamShare;
  token: T;
}

export const DEFAULT_MAX_IN_FLIGHT = 3;
export const DEFAULT_MAX_QUEUED = 1024;

export class SubmitQueue<T> {
  readonly maxInFlight: number;
  readonly maxQueued: number;
  #waiting: Submission<T>[] = [];
  #head = 0;
  #inFlight = 0;

  constructor(maxInFlight = DEFAULT_MAX_IN_FLIGHT, maxQueued = DEFAULT_MAX_QUEUED) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
      throw new RangeError("maxInFlight must be a positive integer");
    if (!Number.isInteger(maxQueued) || maxQueued < 0)
      throw new RangeError("maxQueued must be a non-negative integer");
    this.maxInFlight = maxInFlight;
    this.maxQueued = maxQueued;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** False when the waiting list is full (the caller reports the share dropped). */
  push(s: Submission<T>): boolean {
    if (this.waiting >= this.maxQueued) return false;
    this.#waiting.push(s);
    return true;
  }

  /** True when a slot is free and a submission waits. */
  get canSend(): boolean {
    return this.#inFlight < this.maxInFlight && this.waiting > 0;
  }

  /** Take the oldest waiting submission into a window slot (check canSend first). */
  take(): Submission<T> {
    if (!this.canSend) throw new RangeError("no free slot or nothing waiting");
    const s = this.#waiting[this.#head]!;
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    this.#inFlight++;
    return s;
  }

  /** A slot taken by `take` is free again without sending (the submission turned out stale). */
  release(): void {
    if (this.#inFlight === 0) throw new RangeError("no submit in flight");
    this.#inFlight--;
  }

  /** Remove and return the waiting submissions matching `dead`, keeping the others in order. */
  removeWhere(dead: (s: Submission<T>) => boolean): Submission<T>[] {
    const removed: Submission<T>[] = [];
    const kept: Submission<T>[] = [];
    for (let i = this.#head; i < this.#waiting.length; i++) {
      const s = this.#waiting[i]!;
      (dead(s) ? removed : kept).push(s);
    }
    this.#waiting = kept;
    this.#head = 0;
    return removed;
  }

  /** Empty the waiting list (the connection ended); in-flight slots are the caller's to report. */
  clear(): Submission<T>[] {
    const all = this.#waiting.slice(this.#head);
    this.#waiting = [];
    this.#head = 0;
    this.#inFlight = 0;
    return all;
  }
}

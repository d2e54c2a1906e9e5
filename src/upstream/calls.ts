// calls.ts — our requests to the pool that still await an answer, keyed by our own ids.
//
// Ids are ours and monotonic per connection; responses are matched by id, never by arrival order
// (verus-stratum.md §3.6: pools answer out of order, and a late answer to a call that already
// timed out must find nothing). Each call carries its deadline; null = none (extranonce.subscribe,
// which some pools never answer).

import type { RpcId } from "../protocol/index.ts";
import type { Submission } from "./submits.ts";

export type CallKind = "subscribe" | "authorize" | "extranonce.subscribe";

export type Call<T> =
  | { id: number; kind: CallKind; deadline: number | null }
  | { id: number; kind: "submit"; deadline: number; submission: Submission<T> };

export class CallTable<T> {
  readonly #calls = new Map<number, Call<T>>();
  #nextId = 1;

  open(kind: CallKind, deadline: number | null): number {
    const id = this.#nextId++;
    this.#calls.set(id, { id, kind, deadline });
    return id;
  }

  openSubmit(submission: Submission<T>, deadline: number): number {
    const id = this.#nextId++;
    this.#calls.set(id, { id, kind: "submit", deadline, submission });
    return id;
  }

  /** Remove and return the call a response answers (ids echoed as strings are accepted too). */
  take(id: RpcId): Call<T> | undefined {
    const n =
      typeof id === "number" ? id : typeof id === "string" && /^\d{1,15}$/.test(id) ? Number(id) : null;
    if (n === null) return undefined;
    const call = this.#calls.get(n);
    this.#calls.delete(n);
    return call;
  }

  /** Remove and return the calls whose deadline is ≤ now, oldest first. */
  expired(now: number): Call<T>[] {
    const due = [...this.#calls.values()].filter((c) => c.deadline !== null && c.deadline <= now);
    for (const c of due) this.#calls.delete(c.id);
    return due;
  }

  nextDeadline(): number | null {
    let next: number | null = null;
    for (const c of this.#calls.values())
      if (c.deadline !== null && (next === null || c.deadline < next)) next = c.deadline;
    return next;
  }

  /** Forget every call; returns the submissions that were in flight, in send order. */
  clear(): Submission<T>[] {
    const inFlight: Submission<T>[] = [];
    for (const c of this.#calls.values()) if (c.kind === "submit") inFlight.push(c.submission);
    this.#calls.clear();
    return inFlight;
  }
}

// worker-link.ts — a worker process's end of the IPC channel to its supervisor: says when it
// serves, pushes its numbers every second (and at once), keeps the latest table of every worker,
// and answers the box's /stats, /metrics and /health from it with its own live numbers (BoxView).
// When the channel closes (the supervisor is gone, even by kill -9) it says so, and the worker
// stops: no orphan keeps the ports.

import type { BoxNumbers, BoxView, ProcessNumbers } from "../downstream/index.ts";
import { ClusterError } from "./errors.ts";
import { mergeBox, type WorkerEntry, type WorkerSnapshot } from "./merge.ts";
import { readSupervisorMessage, SNAPSHOT_PERIOD_MS, type WorkerMessage } from "./messages.ts";

export interface WorkerLinkOptions {
  index: number;
  workers: number;
  /** This process's numbers now. */
  numbers(): ProcessNumbers;
  /** The supervisor is gone (the channel closed). */
  orphaned(): void;
  periodMs?: number;
  now?: () => number;
}

export class WorkerLink implements BoxView {
  readonly #o: WorkerLinkOptions;
  readonly #now: () => number;
  #table: WorkerEntry[];
  #timer: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  readonly #onMessage = (m: unknown) => {
    const msg = readSupervisorMessage(m);
    if (msg !== null) this.#table = msg.workers;
  };
  readonly #onDisconnect = () => {
    if (this.#closed) return;
    this.stop();
    this.#o.orphaned();
  };

  /** Throws E_CLUSTER_ENV when this process has no IPC channel (not started by a supervisor). */
  constructor(o: WorkerLinkOptions) {
    if (typeof process.send !== "function")
      throw new ClusterError("E_CLUSTER_ENV", "a worker process needs its supervisor's IPC channel");
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#table = Array.from({ length: o.workers }, (_, index) => ({
      index,
      pid: null,
      state: "starting" as const,
      restarts: 0,
      lastExit: null,
      snapshot: null,
    }));
    process.on("message", this.#onMessage);
    process.on("disconnect", this.#onDisconnect);
  }

  /** Serving: tell the supervisor, and push the numbers from now on. */
  ready(): void {
    this.#send({ t: "ready", index: this.#o.index, pid: process.pid });
    this.#push();
    this.#timer = setInterval(() => this.#push(), this.#o.periodMs ?? SNAPSHOT_PERIOD_MS);
  }

  numbers(own: ProcessNumbers): BoxNumbers {
    return mergeBox(this.#snapshot(own), this.#table);
  }

  /** Stops pushing and closes the channel (it would keep the process alive). Idempotent. */
  stop(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    process.off("message", this.#onMessage);
    process.off("disconnect", this.#onDisconnect);
    if (process.connected) process.disconnect?.();
  }

  #snapshot(own: ProcessNumbers): WorkerSnapshot {
    return { ...own, index: this.#o.index, pid: process.pid, at: this.#now() };
  }

  #push(): void {
    this.#send({ t: "snapshot", snapshot: this.#snapshot(this.#o.numbers()) });
  }

  #send(m: WorkerMessage): void {
    if (this.#closed || !process.connected) return;
    try {
      process.send!(m);
    } catch {
      // The channel is closing: the disconnect event follows.
    }
  }
}

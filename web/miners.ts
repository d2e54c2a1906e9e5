// miners.ts — the page's mining Web Workers: how many run, how hard (throttle), which chunk of
// which job each one hashes (web/work.ts), and the hashrate over the last few seconds. It never
// touches the network: found shares go to the caller, who sends them.

import type { MsgpackJob } from "../src/protocol/ws-msgpack.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import { buildInput, chunkCount, chunkWork } from "./work.ts";

/** A job as the workers hash it; `key` names it in worker messages. */
export interface MinerJob {
  key: number;
  job: MsgpackJob;
  input: Uint8Array;
  nextChunk: number;
}

export interface MinerEvents {
  share(job: MinerJob, tail: Uint8Array): void;
  /** A worker could not start or failed (the message is for the user). */
  error(message: string): void;
  /** The implementation the first worker runs ("wasm-simd" or "portable"). */
  ready(impl: string): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** The job key of its current chunk, or null while it waits for work. */
  busy: number | null;
}

/** Seconds of progress reports the hashrate averages over. */
const RATE_WINDOW_S = 5;

export class MinerPool {
  readonly #module: WebAssembly.Module;
  readonly #workerUrl: string;
  readonly #events: MinerEvents;
  readonly #slots: Slot[] = [];
  readonly #jobs = new Map<number, MinerJob>();
  #current: MinerJob | null = null;
  #nextKey = 1;
  #throttle = 100;
  #samples: { t: number; hashes: number }[] = [];
  /** When the first reported batch began (hashing starts after the module and a job arrive). */
  #hashingSince: number | null = null;
  #total = 0;

  constructor(module: WebAssembly.Module, workerUrl: string, events: MinerEvents) {
    this.#module = module;
    this.#workerUrl = workerUrl;
    this.#events = events;
  }

  get threads(): number {
    return this.#slots.length;
  }

  /** Hashes since start(). */
  get totalHashes(): number {
    return this.#total;
  }

  /** Starts `threads` workers (none hash until a job arrives). */
  start(threads: number, throttle: number): void {
    this.stop();
    this.#throttle = throttle;
    this.#hashingSince = null;
    this.#total = 0;
    this.setThreads(threads);
  }

  /** Terminates every worker at once: nothing hashes after this returns. */
  stop(): void {
    for (const s of this.#slots.splice(0)) s.worker.terminate();
    this.#samples = [];
  }

  setThreads(n: number): void {
    while (this.#slots.length > n) this.#slots.pop()!.worker.terminate();
    while (this.#slots.length < n) this.#spawn();
  }

  setThrottle(percent: number): void {
    this.#throttle = percent;
    for (const s of this.#slots) this.#send(s, { type: "throttle", throttle: percent });
  }

  /** New work from the bridge: every worker moves to a chunk of it as soon as its batch ends. */
  setJob(job: MsgpackJob): void {
    const mj: MinerJob = { key: this.#nextKey++, job, input: buildInput(job), nextChunk: 0 };
    if (job.clean) this.#jobs.clear();
    this.#jobs.set(mj.key, mj);
    this.#current = mj;
    for (const s of this.#slots) if (s.ready) this.#feed(s);
  }

  /** Drops every job (a new session means new prefixes): workers idle until the next job. */
  clearJobs(): void {
    this.#jobs.clear();
    this.#current = null;
  }

  /**
   * No work for now (the bridge is idle, or the prefix changed): drops every job and stops every
   * worker after its current batch (≤ 50 ms), so no CPU is spent on worthless work; shares still
   * reported for the dropped jobs are discarded. The next setJob() resumes.
   */
  pause(): void {
    this.clearJobs();
    for (const s of this.#slots) if (s.busy !== null) this.#send(s, { type: "pause" });
  }

  /** Workers still on a chunk (0 once a pause() is confirmed: nothing hashes). */
  get busyWorkers(): number {
    return this.#slots.filter((s) => s.busy !== null).length;
  }

  /** Hashes per second over the last RATE_WINDOW_S seconds; 0 when stopped. */
  hashrate(now = performance.now()): number {
    if (this.#slots.length === 0) return 0;
    const from = now - RATE_WINDOW_S * 1000;
    while (this.#samples.length > 0 && this.#samples[0]!.t < from) this.#samples.shift();
    if (this.#hashingSince === null) return 0;
    const span = Math.min(RATE_WINDOW_S * 1000, now - this.#hashingSince);
    if (span <= 0) return 0;
    return this.#samples.reduce((sum, s) => sum + s.hashes, 0) / (span / 1000);
  }

  #spawn(): void {
    const slot: Slot = { worker: new Worker(this.#workerUrl), ready: false, busy: null };
    slot.worker.onmessage = (e: MessageEvent<FromWorker>) => this.#onMessage(slot, e.data);
    slot.worker.onerror = (e) => this.#events.error(`mining worker failed: ${e.message}`);
    this.#slots.push(slot);
    this.#send(slot, { type: "init", module: this.#module, throttle: this.#throttle });
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    if (!this.#slots.includes(slot)) return; // terminated, a message was already queued
    switch (m.type) {
      case "ready":
        slot.ready = true;
        this.#events.ready(m.impl);
        this.#feed(slot);
        break;
      case "progress": {
        const t = performance.now();
        this.#hashingSince ??= t - m.ms;
        this.#samples.push({ t, hashes: m.hashes });
        this.#total += m.hashes;
        break;
      }
      case "share": {
        const job = this.#jobs.get(m.key);
        if (job !== undefined) this.#events.share(job, m.tail);
        break;
      }
      case "idle":
        if (m.key !== slot.busy) break; // it was given other work meanwhile
        slot.busy = null;
        this.#feed(slot);
        break;
      case "error":
        this.#events.error(m.message);
        break;
    }
  }

  /** The next chunk of the current job, if the worker is not on it already and chunks are left. */
  #feed(slot: Slot): void {
    const job = this.#current;
    if (job === null || slot.busy === job.key) return;
    if (job.nextChunk >= chunkCount(job.job.prefix.length)) return;
    const { tail, start, count } = chunkWork(job.input, job.job.prefix.length, job.nextChunk++);
    slot.busy = job.key;
    this.#send(slot, {
      type: "work",
      key: job.key,
      input: job.input,
      tail,
      start,
      count,
      target: job.job.target,
    });
  }

  #send(slot: Slot, m: ToWorker): void {
    slot.worker.postMessage(m);
  }
}

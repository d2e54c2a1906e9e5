/**
 * The miner's worker threads, seen from the main thread: starts N mine-worker.ts threads (one
 * Hasher each), hands them work through shared memory (shared.ts), relays what they report, reads
 * their hash counters, and stops them through the stop flag (they finish the batch in hand).
 */
import type { ImplName } from "../hash/index.ts";
import { MinerError } from "./errors.ts";
import type { WorkerReport, WorkerSetup } from "./messages.ts";
import { createShared, WorkBoard, type WorkSpec } from "./shared.ts";

export interface WorkerHandlers {
  /** Tails (15 bytes each, concatenated) that met the target of work `seq`. */
  found(seq: number, worker: number, tails: Uint8Array): void;
  /** Worker `worker` took up work `seq` at `at` (epoch ms). */
  switched(seq: number, worker: number, active: boolean, at: number): void;
  /** A worker died after start: fatal for the miner. */
  failed(error: MinerError): void;
}

/** Opening the native library in a fresh thread takes a while under qemu. */
const READY_TIMEOUT_MS = 30_000;
/** A batch is ~15 ms; this much longer and the worker is terminated anyway. */
const STOP_TIMEOUT_MS = 2_000;

export class WorkerPool {
  readonly #board: WorkBoard;
  readonly #workers: Worker[];
  readonly #stoppedOnes = new Set<number>();
  #onStopped: (() => void) | null = null;
  #stopping: Promise<void> | null = null;

  private constructor(workers: Worker[], board: WorkBoard) {
    this.#workers = workers;
    this.#board = board;
  }

  /**
   * Starts `threads` workers, each scanning `lanes` nonces at once (0: the implementation's
   * fastest), and waits until each has opened its Hasher. Throws E_MINER_WORKER. `start` places
   * every worker's nonce position (tests of the round change); default 0, 0.
   */
  static async start(
    impl: ImplName,
    lanes: number,
    threads: number,
    h: WorkerHandlers,
    start = { round: 0, counter: 0 },
  ): Promise<WorkerPool> {
    const buffers = createShared(threads);
    const workers = Array.from(
      { length: threads },
      () => new Worker(new URL("./mine-worker.ts", import.meta.url).href),
    );
    const pool = new WorkerPool(workers, new WorkBoard(buffers));
    let ready = 0;
    let settle: { resolve: () => void; reject: (e: MinerError) => void } | null = null;
    const started = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const fail = (e: MinerError) => {
      if (settle !== null) settle.reject(e);
      else if (pool.#stopping === null) h.failed(e);
    };
    workers.forEach((w, i) => {
      w.onmessage = (e: MessageEvent<WorkerReport>) => {
        const m = e.data;
        switch (m.type) {
          case "ready":
            if (++ready === threads && settle !== null) settle.resolve();
            return;
          case "switched":
            return h.switched(m.seq, i, m.active, m.at);
          case "found":
            return h.found(m.seq, i, m.tails);
          case "stopped":
            pool.#stoppedOnes.add(i);
            if (pool.#stoppedOnes.size === threads) pool.#onStopped?.();
            return;
          case "error":
            return fail(
              new MinerError("E_MINER_WORKER", `worker ${i}: ${m.message}${m.code ? ` (${m.code})` : ""}`),
            );
        }
      };
      w.onerror = (e) => fail(new MinerError("E_MINER_WORKER", `worker ${i} crashed: ${e.message}`));
      const setup: WorkerSetup = { type: "setup", index: i, impl, lanes, buffers, start };
      w.postMessage(setup);
    });
    const timer = setTimeout(
      () =>
        settle?.reject(new MinerError("E_MINER_WORKER", `workers not ready within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    try {
      await started;
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    } finally {
      clearTimeout(timer);
      settle = null;
    }
    return pool;
  }

  /** Work for every worker, or null to pause them. Returns the work's sequence number. */
  publish(work: WorkSpec | null): number {
    return this.#board.publish(work);
  }

  /** Hashes done so far, per worker. */
  hashes(): number[] {
    return this.#workers.map((_, i) => this.#board.hashes(i));
  }

  /** Raises the stop flag, waits (bounded) for every worker to finish its batch, terminates them. */
  stop(): Promise<void> {
    if (this.#stopping !== null) return this.#stopping;
    this.#board.stop();
    this.#stopping = new Promise<void>((resolve) => {
      const timer = setTimeout(done, STOP_TIMEOUT_MS);
      const workers = this.#workers;
      function done() {
        clearTimeout(timer);
        for (const w of workers) w.terminate();
        resolve();
      }
      this.#onStopped = done;
      if (this.#stoppedOnes.size === workers.length) done();
    });
    return this.#stopping;
  }
}

/**
 * Messages between the miner's main thread (workers.ts) and its workers (mine-worker.ts). Work
 * itself goes through shared memory (shared.ts); messages carry only setup and what workers find.
 */
import type { ImplName } from "../hash/index.ts";
import type { SharedBuffers } from "./shared.ts";

/** main → worker, once. The worker opens its Hasher, answers "ready", then mines until stopped. */
export type WorkerSetup = {
  type: "setup";
  index: number;
  impl: ImplName;
  /** The scan's lanes (0: the implementation's fastest). */
  lanes: number;
  buffers: SharedBuffers;
  /** Where this worker's (round, counter) starts: 0, 0 except in tests of the round change. */
  start: { round: number; counter: number };
};

export type WorkerReport =
  | { type: "ready" }
  /** Started hashing work `seq` (or pausing, active = false); `at` is epoch milliseconds. */
  | { type: "switched"; seq: number; active: boolean; at: number }
  /** Tails (15 bytes each, concatenated) whose hash met the target of work `seq`. */
  | { type: "found"; seq: number; tails: Uint8Array }
  /** The worker saw the stop flag; its final hash count is in shared memory. */
  | { type: "stopped" }
  | { type: "error"; message: string; code: string | null };

/**
 * Messages between the scan benchmark (scan.ts) and its workers (scan-worker.ts).
 */
import type { ImplName } from "../hash/index.ts";

/** main → worker, first message: what to scan. The worker prepares the job, then reports ready. */
export type ScanSetup = {
  type: "setup";
  impl: ImplName;
  /** The scan's lanes (0: the implementation's fastest). */
  lanes: number;
  header: Uint8Array;
  /** First nonce of this worker's range; ranges of different workers never overlap. */
  start: number;
  /** End of the range (exclusive); a worker that reaches it starts over with another tail. */
  end: number;
  seconds: number;
};

/** main → worker, once every worker is ready, so that all threads run at the same time. */
export type ScanGo = { type: "go" };

export type ScanReport =
  /** `lanes`: the count the worker's Hasher put in effect. */
  | { type: "ready"; lanes: number }
  | { type: "done"; hashes: number; seconds: number }
  | { type: "error"; message: string };

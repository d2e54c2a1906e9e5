// events.ts — the small typed interface between the pool client and whoever uses it (the bridge,
// the headless miner): one input (`submit` an UpstreamShare with a correlation token) and one
// stream of events. Nothing here knows about miners (STYLE.md principle 12).

import type { Job, ShareReject } from "../protocol/index.ts";
import type { UpstreamError, UpstreamErrorCode } from "./errors.ts";

/**
 * A share to forward. `epoch` is the epoch of the `job` event the work came from: every new
 * connection and every extranonce1 change starts a new epoch, and a share from an older one is
 * stale (its extranonce1 is gone — v-nomp rejects such work as "pool nonce missing", §4.1).
 */
export interface UpstreamShare {
  epoch: number;
  jobId: string;
  /** 8 hex digits: exactly the job's nTime (verus-stratum.md §3.6). */
  nTime: string;
  /** Hex, 64 − len(extranonce1 hex) digits. */
  extranonce2: string;
  /** "fd4005" + the 1344-byte solution, hex. */
  solution: string;
}

export type StaleReason =
  | "job-gone" // the job was cleaned, replaced by a new block, or never known on this connection
  | "old-epoch" // found on an earlier connection or extranonce1
  | "disconnected"; // still queued when the connection ended

/**
 * What became of one submit: the pool's answer (protocol's SubmitOutcome) or why there was none.
 * Every submit gets exactly one. (What a miner is told is the bridge's ShareOutcome.)
 */
export type SubmitFate =
  | { status: "accepted" }
  /** The pool's typed reject (codes 20–25 or other), verbatim text in `reject.message`. */
  | { status: "rejected"; reject: ShareReject }
  /** Never sent: the pool would have rejected it (21 / 20 pool nonce missing). */
  | { status: "stale"; reason: StaleReason }
  /** Sent, no answer within the submit timeout (the connection is then closed as stalled). */
  | { status: "timeout" }
  /** Sent, but the connection ended before the answer: the pool may or may not have counted it. */
  | { status: "lost"; reason: UpstreamErrorCode }
  /** Never sent: more shares waiting than maxQueuedSubmits (a loud cap, STYLE.md principle 10). */
  | { status: "dropped"; reason: "queue-full" | "closed" };

export type TargetSource = "set_target" | "set_difficulty" | "default";

export type UpstreamEvent<T> =
  /** Where the client is. `pool` is the canonical URL; `error` says why a connection ended. */
  | { type: "state"; state: "connecting"; pool: string; attempt: number }
  | { type: "state"; state: "connected" | "subscribed" | "authorized"; pool: string }
  | { type: "state"; state: "disconnected"; pool: string; error: UpstreamError }
  /** The next connection attempt is scheduled in `delayMs` (backoff, a redirect's wait, …). */
  | {
      type: "state";
      state: "waiting";
      pool: string;
      delayMs: number;
      reason: "backoff" | "redirect" | "failover" | "primary";
    }
  | { type: "state"; state: "closed"; pool: string | null }
  /** All work of `epoch` is worthless from now on (the connection ended, or extranonce1 changed). */
  | { type: "invalidate"; epoch: number; reason: UpstreamErrorCode | "extranonce-changed" }
  /** A new extranonce1 (subscribe result or mining.set_extranonce) opens `epoch`. */
  | { type: "extranonce"; epoch: number; extranonce1: string; extranonce2Size: number; pool: string }
  /** The share target (big-endian value); "default" = difficulty 1 until the pool says otherwise. */
  | { type: "target"; epoch: number; target: bigint; difficulty: number; source: TargetSource }
  /** New work. `clean`: every earlier job of this epoch is dead. */
  | { type: "job"; epoch: number; job: Job; clean: boolean; extranonce1: string }
  | { type: "result"; token: T; jobId: string; pool: string; outcome: SubmitFate }
  /** client.show_message text (for the log or a UI). */
  | { type: "message"; pool: string; text: string }
  /**
   * Something the pool sent was refused and ignored; the connection stays (E_POOL_DIFFICULTY: the
   * previous target is kept; E_POOL_REDIRECT_REFUSED). Already logged; for counters such as /stats.
   */
  | { type: "warning"; pool: string; error: UpstreamError };

export type UpstreamListener<T> = (event: UpstreamEvent<T>) => void;

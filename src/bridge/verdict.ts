// verdict.ts — what the bridge adds to the pools' share validation (validateShare, verus-stratum.md
// §5), as pure functions: turning a transport's MinerShare into mining.submit params, the checks a
// pool does not make but a bridge paying per share must, and which shares go on to the pool.
//
// Nothing a miner sends is trusted beyond the job id and the bytes it chose (STYLE: the seed
// trusted the whole echoed work object). A WebSocket miner sends only the 15-byte tail; the
// solution is rebuilt from our copy of the job. A Stratum miner sends the whole solution, so it
// must equal the job's template except for the tail — else it could mine (and be credited for) a
// block template of its own making, which the pool would reject or, worse, pay us nothing for.

import {
  bytesToHex,
  isHex,
  rejectOf,
  SOLUTION_BYTES,
  TAIL_BYTES,
  type Accepted,
  type Job,
  type ShareReject,
  type SubmitParams,
} from "../protocol/index.ts";
import type { MinerShare } from "./contract.ts";

const SUBMITTED_SOLUTION_HEX = 2 * (3 + SOLUTION_BYTES); // "fd4005" + 1344 bytes
const TAIL_HEX = 2 * TAIL_BYTES;
/** The pool's float tolerance (verus-stratum.md §5 step 12). */
const POOL_TOLERANCE = 0.99;

/** Rejects the bridge itself gives; code 20 is the pools' catch-all "other" code. */
export const BRIDGE_REJECTS = {
  template: { code: 20, reason: "other", message: "solution does not match the job's template" },
  rateLimited: { code: 20, reason: "other", message: "rate limited: too many shares per second" },
  closing: { code: 20, reason: "other", message: "the bridge is shutting down" },
  ledger: { code: 20, reason: "other", message: "share ledger unavailable, share not credited" },
} as const satisfies Record<string, ShareReject>;

/**
 * The mining.submit params of a share. A tail becomes the job's template with that tail and an
 * all-zero extranonce2 (uniqueness comes from the tail, which starts with the session's
 * extranonce1); a Stratum submit passes through as sent, for validateShare to judge.
 */
export function submitParamsOf(share: MinerShare, job: Job | undefined, worker: string, extranonce2Size: number): SubmitParams | ShareReject {
  if (share.kind === "submit") {
    return { worker, jobId: share.jobId, nTime: share.nTime, extranonce2: share.extranonce2, solution: share.solution };
  }
  if (job === undefined) return rejectOf("job-not-found");
  if (!(share.tail instanceof Uint8Array) || share.tail.length !== TAIL_BYTES) return rejectOf("nonce-size");
  return job.submitParams(worker, new Uint8Array(extranonce2Size), share.tail);
}

const templateHex = new WeakMap<Job, string>();

/** "fd4005" + the first 1329 template bytes, lowercase: what every solution of the job starts with. */
function solutionPrefix(job: Job): string {
  let hex = templateHex.get(job);
  if (hex === undefined) {
    hex = "fd4005" + bytesToHex(job.template().subarray(0, SOLUTION_BYTES - TAIL_BYTES));
    templateHex.set(job, hex);
  }
  return hex;
}

/**
 * The bridge's own checks, made before hashing, on a submit whose shape validateShare would accept
 * (so that its exact pool texts still win for malformed ones): the template must be the job's, and
 * on PBaaS jobs the tail must START with the session's extranonce1 — a tail carrying it elsewhere
 * could carry another session's too and be paid twice. A tail of the session's previous lease is
 * stale work (21).
 */
export function bridgeCheck(job: Job, p: SubmitParams, extranonce1Hex: string, previousExtranonce1Hex: string | null = null): ShareReject | null {
  const sol = p.solution;
  if (sol.length !== SUBMITTED_SOLUTION_HEX || !isHex(sol) || sol.slice(6, 14) !== job.solutionVersionHex) return null;
  if (sol.slice(0, -TAIL_HEX).toLowerCase() !== solutionPrefix(job)) return BRIDGE_REJECTS.template;
  const tail = sol.slice(-TAIL_HEX);
  if (job.solutionVersion <= 6 || tail.startsWith(extranonce1Hex)) return null;
  // Found under the session's previous lease (a new pool xn1 re-sent the same job): stale work,
  // not the miner's fault — "21" drops it without counting it as invalid.
  if (previousExtranonce1Hex !== null && tail.startsWith(previousExtranonce1Hex)) return rejectOf("job-not-found");
  return rejectOf("pool-nonce-missing");
}

/** Whether an accepted share also satisfies the pool (with its own tolerance), or is a block. */
export function meetsPool(v: Accepted, poolDifficulty: number): boolean {
  return v.blockCandidate || v.shareDifficulty / poolDifficulty >= POOL_TOLERANCE;
}

/**
 * Rejects that count towards "too many invalid": not stale work (21: the pool moved on, not the
 * miner's fault), not the bridge's own trouble, and not rate limiting (which has its own end).
 */
export function countsAsInvalid(r: ShareReject): boolean {
  return r.code !== 21 && r !== BRIDGE_REJECTS.closing && r !== BRIDGE_REJECTS.ledger && r !== BRIDGE_REJECTS.rateLimited;
}

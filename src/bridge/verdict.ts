// verdict.ts — what the bridge adds to the pools' share validation (validateTail / validateSubmit,
// verus-stratum.md §5), as pure functions on bytes: the checks a pool does not make but a bridge
// paying per share must, which shares go on to the pool, and the submit they go up as.
//
// Nothing a miner sends is trusted beyond the job id and the bytes it chose (STYLE: the seed
// trusted the whole echoed work object). A WebSocket miner sends only the 15-byte tail; the input
// is rebuilt from our copy of the job. A Stratum miner sends the whole solution, so it must equal
// the job's template except for the tail — else it could mine (and be credited for) a block
// template of its own making, which the pool would reject or, worse, pay us nothing for.

import {
  NONCE_BYTES,
  NONCE_TAIL_BYTES,
  rejectOf,
  type Accepted,
  type Job,
  type ShareReject,
  type SubmitBytes,
} from "../protocol/index.ts";
import type { UpstreamShare } from "../upstream/index.ts";
import type { Lease, MinerShare } from "./contract.ts";

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
 * A WebSocket share's own checks, before hashing: 15 bytes, and on PBaaS jobs the tail must START
 * with the session's extranonce1 — a tail carrying it elsewhere could carry another session's too
 * and be paid twice. A tail of the session's previous lease is stale work (21): found under the old
 * extranonce1 of a job the pool re-sent after a reconnect, not the miner's fault.
 */
export function tailCheck(
  job: Job,
  tail: Uint8Array,
  extranonce1: Uint8Array,
  previous: Uint8Array | null = null,
): ShareReject | null {
  if (!(tail instanceof Uint8Array) || tail.length !== NONCE_TAIL_BYTES) return rejectOf("nonce-size");
  if (job.solutionVersion <= 6 || startsWith(tail, extranonce1)) return null;
  if (previous !== null && startsWith(tail, previous)) return rejectOf("job-not-found");
  return rejectOf("pool-nonce-missing");
}

/**
 * A Stratum submit's own checks, made before the pools' field checks but only on a solution those
 * would pass (so that their exact texts still win for malformed ones): the template must be the
 * job's, and the tail must start with the extranonce1 as above — as text, as the pools read it
 * (an uppercase tail fails).
 */
export function submitCheck(
  job: Job,
  s: SubmitBytes,
  extranonce1Hex: string,
  previousHex: string | null = null,
): ShareReject | null {
  if (s.solution === null || s.versionText !== job.solutionVersionHex) return null;
  if (!job.sameTemplate(s.solution)) return BRIDGE_REJECTS.template;
  if (job.solutionVersion <= 6 || s.tailText.startsWith(extranonce1Hex)) return null;
  if (previousHex !== null && s.tailText.startsWith(previousHex)) return rejectOf("job-not-found");
  return rejectOf("pool-nonce-missing");
}

/**
 * The mining.submit a credited share goes up as, built only for shares that go: the job's nTime
 * and template with the share's tail, and the lease id in front of the miner's extranonce2
 * (verus-stratum.md §8). A WebSocket share's extranonce2 is all zeros; a Stratum share is an
 * accepted one, so submitReject found its extranonce2 and solution well formed.
 */
export function upstreamShareOf(job: Job, lease: Lease, share: MinerShare): UpstreamShare {
  const p =
    share.kind === "tail"
      ? job.submitParams("", new Uint8Array(NONCE_BYTES - lease.extranonce1.length), share.tail)
      : job.submitParams("", share.extranonce2!, share.solution!.subarray(-NONCE_TAIL_BYTES));
  return {
    epoch: lease.epoch,
    jobId: job.id,
    nTime: p.nTime,
    extranonce2: lease.idHex + p.extranonce2,
    solution: p.solution,
  };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
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
  return (
    r.code !== 21 &&
    r !== BRIDGE_REJECTS.closing &&
    r !== BRIDGE_REJECTS.ledger &&
    r !== BRIDGE_REJECTS.rateLimited
  );
}

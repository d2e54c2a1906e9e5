// validate.ts — share validation as one pure function: the checks and their order are v-nomp's
// (identical in hellcatz node-stratum-pool), verus-stratum.md §5 "How a pool validates a share".
//
// The built-in pool runs it with the "pool" rule (it knows each job's daemon nonce); the bridge
// runs it with the "miner" rule as a precheck (verushash.md §3.6). Hashing is injected, the
// duplicate set is the caller's, and nothing here does I/O or reads a clock.

import { bytesToHex, hexToBytes, isHex, readU32LE } from "./hex.ts";
import type { Job } from "./job.ts";
import type { SubmitParams } from "./miner-messages.ts";
import { assembleInput, clearedCopy, minerRuleClears, poolRuleChecks, poolRuleOutcome, SOLUTION_BYTES } from "./pbaas.ts";
import {
  lowDifficultyReject,
  rejectOf,
  solutionSizeReject,
  solutionVersionReject,
  unsupportedVersionReject,
  type ShareReject,
} from "./reject.ts";
import { leBytesToBigInt, poolShareDifficulty } from "./target.ts";

/** The hash functions, from the native library (src/hash) or a test double. Each returns 32 bytes. */
export interface ShareHashers {
  /** VerusHash 2.2 of the 1487 bytes as given: no clearing, no dispatch. */
  hash22(input: Uint8Array): Uint8Array;
  /** VerusHash 2.1 (solution version 3). Optional: without it such shares are rejected. */
  hash21?(input: Uint8Array): Uint8Array;
  /** BLAKE2b-256 ("VerusDefaultHash") of the 196-byte pre-header of a 1487-byte input. Pool rule only. */
  preHeaderHash(input: Uint8Array): Uint8Array;
}

export interface JobLookup {
  /** The job if it is known and still valid (clean jobs drop the older ones). */
  get(jobId: string): Job | undefined;
}

/** Per-job duplicate registry (the pool keys it on lowercase xn1 + xn2 + solution). */
export interface DuplicateSet {
  /** Record `key` for the job; false if it was already there. */
  add(jobId: string, key: string): boolean;
}

export interface SessionView {
  authorized: boolean;
  /** Lowercase hex; null until the connection subscribed. xn2 is 32 − len(xn1) bytes. */
  extranonce1: string | null;
  duplicates: DuplicateSet;
}

export interface DifficultyView {
  /** The connection's current share difficulty (targetToDifficulty of its set_target). */
  difficulty: number;
  /** The difficulty before the last vardiff change; shares meeting it still count (pool rule 12). */
  previousDifficulty?: number | null;
}

/** "pool": the header carries the job's daemon nonce and the pre-header is checked (§3.4). "miner": xn1 ‖ xn2, clear without checking (§3.5). */
export type ClearingRule = "pool" | "miner";

export interface ShareCheck {
  jobs: JobLookup;
  session: SessionView;
  submit: SubmitParams;
  target: DifficultyView;
  hashers: ShareHashers;
  rule: ClearingRule;
}

export interface Accepted {
  ok: true;
  job: Job;
  /** The 32 hash bytes in memory order (LE256 is the number compared with targets). */
  hash: Uint8Array;
  /** diff1 / LE256(hash) as v-nomp computes it (target.ts poolShareDifficulty). */
  shareDifficulty: number;
  /** The difficulty the share is credited at (the previous one when only that was met). */
  creditedDifficulty: number;
  /** LE256(hash) ≤ the job's block target: submit the block too. */
  blockCandidate: boolean;
}

export interface Rejected {
  ok: false;
  reject: ShareReject;
  /** Set when the share got as far as hashing (low difficulty). */
  hash?: Uint8Array;
}

export type Verdict = Accepted | Rejected;

const FF32 = new Uint8Array(32).fill(0xff);
const EXTRANONCE1 = /^(?:[0-9a-f]{2}){1,31}$/;
const SUBMITTED_SOLUTION_HEX = 2 * (3 + SOLUTION_BYTES); // "fd4005" + 1344 bytes = 2694

function no(reject: ShareReject, hash?: Uint8Array): Rejected {
  return hash === undefined ? { ok: false, reject } : { ok: false, reject, hash };
}

function checked32(h: Uint8Array): Uint8Array {
  if (h.length !== 32) throw new RangeError(`hash function returned ${h.length} bytes, expected 32`);
  return h;
}

/** Steps 1–13 of verus-stratum.md §5, in order. */
export function validateShare(c: ShareCheck): Verdict {
  const { session, submit } = c;
  // 1. connection state: authorised first, then subscribed (node-stratum-pool handleSubmit order).
  if (!session.authorized) return no(rejectOf("unauthorized"));
  const xn1 = session.extranonce1;
  if (xn1 === null) return no(rejectOf("not-subscribed"));
  if (!EXTRANONCE1.test(xn1)) throw new TypeError(`session extranonce1 must be 1..31 bytes of lowercase hex, got ${JSON.stringify(xn1)}`);
  // 2. the job.
  const job = c.jobs.get(submit.jobId);
  if (job === undefined) return no(rejectOf("job-not-found"));
  // 3. nTime: size, hex, and exactly the job's (pools never allow rolling).
  if (submit.nTime.length !== 8) return no(rejectOf("ntime-size"));
  if (!isHex(submit.nTime)) return no(rejectOf("ntime-invalid"));
  if (readU32LE(hexToBytes(submit.nTime), 0) !== job.nTime) return no(rejectOf("ntime-out-of-range"));
  // 4. xn1 ‖ xn2 fills the 32-byte nonce.
  if (xn1.length + submit.extranonce2.length !== 64) return no(rejectOf("nonce-size"));
  // 5. "fd4005" + 1344 bytes.
  const sol = submit.solution;
  if (sol.length !== SUBMITTED_SOLUTION_HEX) return no(solutionSizeReject(sol.length));
  // 6. solution version (hex after "fd4005") equals the template's. The "fd4005" itself is not
  //    checked by pools: a wrong prefix is simply hashed, and fails the difficulty check.
  //    Compared as text, case-sensitively, as the pool compares it with the daemon's lowercase hex.
  const version = sol.slice(6, 14);
  if (version !== job.solutionVersionHex) return no(solutionVersionReject(version, job.solutionVersionHex));
  // 7. hex.
  if (!isHex(submit.extranonce2)) return no(rejectOf("extranonce2-hex"));
  if (!isHex(sol)) return no(rejectOf("solution-hex"));
  // 8. duplicates, registered before the checks below (as the pool does: a resubmitted
  //    "pool nonce missing" share comes back as a duplicate).
  const xn2 = submit.extranonce2.toLowerCase();
  const solLower = sol.toLowerCase();
  if (!session.duplicates.add(job.id, xn1 + xn2 + solLower)) return no(rejectOf("duplicate"));
  // 9. PBaaS jobs: the tail must carry extranonce1, a case-sensitive substring test on the last 30
  //    hex digits as submitted (so an uppercase tail fails, as at the pool).
  if (job.solutionVersion > 6 && !sol.slice(-30).includes(xn1)) return no(rejectOf("pool-nonce-missing"));
  // 10. build and hash.
  const submitted = hexToBytes(solLower);
  const usesDaemonNonce = c.rule === "pool" && job.solutionVersion > 6;
  if (usesDaemonNonce && job.daemonNonce === null) throw new TypeError(`pool rule needs the daemon nonce of job ${job.id}`);
  const nonce = usesDaemonNonce ? job.daemonNonce! : hexToBytes(xn1 + xn2);
  const input = assembleInput(job.header(nonce), submitted.subarray(3));
  input.set(submitted.subarray(0, 3), 140); // hash the submitted compact size, whatever it is
  let hash: Uint8Array;
  if (submitted[3] === 0x03) {
    // Solution version 3: VerusHash 2.1 on the raw bytes (pools test the first solution byte).
    if (c.hashers.hash21 === undefined) return no(unsupportedVersionReject(bytesToHex(submitted.subarray(3, 7))));
    hash = checked32(c.hashers.hash21(input));
  } else if (c.rule === "miner") {
    hash = checked32(c.hashers.hash22(minerRuleClears(input) ? clearedCopy(input) : input));
  } else if (!poolRuleChecks(input)) {
    hash = checked32(c.hashers.hash22(input));
  } else {
    const outcome = poolRuleOutcome(input, c.hashers.preHeaderHash);
    hash = outcome === "mismatch" ? FF32.slice() : checked32(c.hashers.hash22(outcome === "clear" ? clearedCopy(input) : input));
  }
  // 11–12. share difficulty, block candidate, and the pool's 1 % float tolerance.
  const diff = poolShareDifficulty(hash);
  const blockCandidate = leBytesToBigInt(hash) <= job.blockTarget;
  let credited = c.target.difficulty;
  if (!blockCandidate && diff / credited < 0.99) {
    const previous = c.target.previousDifficulty;
    if (previous !== undefined && previous !== null && previous > 0 && diff >= previous) credited = previous;
    else return no(lowDifficultyReject(diff), hash);
  }
  // 13. accept.
  return { ok: true, job, hash, shareDifficulty: diff, creditedDifficulty: credited, blockCandidate };
}

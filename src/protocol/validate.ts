// validate.ts — share validation as pure functions: the checks and their order are v-nomp's
// (identical in hellcatz node-stratum-pool), verus-stratum.md §5 "How a pool validates a share".
//
// One byte path for every share: a Stratum submit is turned into bytes once (submit.ts), a
// WebSocket share is a 15-byte tail; both become the 1487-byte input from the job's own bytes,
// keyed for duplicates on bytes, hashed, and compared with the targets as bytes — no hex round trip.
// validateShare keeps the text entry point (the built-in pool, the recorded transcripts).
//
// The built-in pool runs it with the "pool" rule (it knows each job's daemon nonce); the bridge
// runs it with the "miner" rule as a precheck (verushash.md §3.6). Hashing is injected, the
// duplicate set is the caller's, and nothing here does I/O or reads a clock.

import { bytesToHex, hexToBytes } from "./hex.ts";
import type { Job } from "./job.ts";
import {
  HASH_BYTES,
  HASH_INPUT_BYTES,
  minerRuleClears,
  NONCE_OFFSET,
  NONCE_TAIL_BYTES,
  NONCE_TAIL_OFFSET,
  SOLUTION_OFFSET,
  SOLUTION_SIZE_OFFSET,
} from "./layout.ts";
import type { SubmitParams } from "./miner-messages.ts";
import { clearInPlace, poolRuleChecks, poolRuleOutcome } from "./pbaas.ts";
import { lowDifficultyReject, rejectOf, unsupportedVersionReject, type ShareReject } from "./reject.ts";
import { parseSubmit, submitReject, type SubmitBytes } from "./submit.ts";
import { meetsTargetLE, poolShareDifficulty } from "./target.ts";

/** The hash functions, from the native library (src/hash) or a test double. Each returns 32 bytes. */
export interface ShareHashers {
  /** VerusHash 2.2 of the 1487 bytes as given: no clearing, no dispatch. */
  hash22(input: Uint8Array): Uint8Array;
  /**
   * Optional: VerusHash 2.2 after miner-rule clearing done by the hasher itself (the native
   * vh_hash_header), of the uncleared input; the miner rule then needs no clearing here.
   */
  hashMinerRule?(input: Uint8Array): Uint8Array;
  /** VerusHash 2.1 (solution version 3). Optional: without it such shares are rejected. */
  hash21?(input: Uint8Array): Uint8Array;
  /** BLAKE2b-256 ("VerusDefaultHash") of the 196-byte pre-header of a 1487-byte input. Pool rule only. */
  preHeaderHash(input: Uint8Array): Uint8Array;
}

export interface JobLookup {
  /** The job if it is known and still valid (clean jobs drop the older ones). */
  get(jobId: string): Job | undefined;
}

/** Per-job duplicate registry. */
export interface DuplicateSet {
  /**
   * Record `key` for the job; false if it was already there. The key is xn1 ‖ xn2 ‖ "fd4005" ‖
   * solution (hash input bytes 108..1486 with the miner's nonce): the bytes of the pools' key,
   * lowercase(xn1 + xn2 + solution). A view into a scratch buffer: copy or digest it.
   */
  add(jobId: string, key: Uint8Array): boolean;
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

/** A share of a job known to be valid, on the byte path: everything but the share itself. */
export interface JobShareCheck {
  job: Job;
  /** The connection's extranonce1 (1..31 bytes) and its lowercase hex. */
  extranonce1: Uint8Array;
  extranonce1Hex: string;
  duplicates: DuplicateSet;
  target: DifficultyView;
  hashers: ShareHashers;
  rule: ClearingRule;
}

const FF32 = new Uint8Array(HASH_BYTES).fill(0xff);
const EXTRANONCE1 = /^(?:[0-9a-f]{2}){1,31}$/;
/** The input being judged: one share at a time, and nothing keeps it past the verdict. */
const INPUT = new Uint8Array(HASH_INPUT_BYTES);
/** Its bytes 108..1486, the duplicate key (one view, made once). */
const INPUT_KEY = INPUT.subarray(NONCE_OFFSET);

function no(reject: ShareReject, hash?: Uint8Array): Rejected {
  return hash === undefined ? { ok: false, reject } : { ok: false, reject, hash };
}

function checked32(h: Uint8Array): Uint8Array {
  if (h.length !== HASH_BYTES)
    throw new RangeError(`hash function returned ${h.length} bytes, expected ${HASH_BYTES}`);
  return h;
}

/** Steps 1–13 of verus-stratum.md §5, in order, for a submit as sent. */
export function validateShare(c: ShareCheck): Verdict {
  const { session } = c;
  // 1. connection state: authorised first, then subscribed (node-stratum-pool handleSubmit order).
  if (!session.authorized) return no(rejectOf("unauthorized"));
  const xn1 = session.extranonce1;
  if (xn1 === null) return no(rejectOf("not-subscribed"));
  if (!EXTRANONCE1.test(xn1))
    throw new TypeError(
      `session extranonce1 must be 1..31 bytes of lowercase hex, got ${JSON.stringify(xn1)}`,
    );
  // 2. the job.
  const job = c.jobs.get(c.submit.jobId);
  if (job === undefined) return no(rejectOf("job-not-found"));
  const check = {
    job,
    extranonce1: hexToBytes(xn1),
    extranonce1Hex: xn1,
    duplicates: session.duplicates,
    target: c.target,
    hashers: c.hashers,
    rule: c.rule,
  };
  return validateSubmit(check, parseSubmit(c.submit));
}

/** Steps 3–13 for a submit in bytes (parseSubmit) of a known job. */
export function validateSubmit(c: JobShareCheck, s: SubmitBytes): Verdict {
  // 3–7. nTime, nonce size, solution size and version, hex (submit.ts).
  const bad = submitReject(s, c.job, c.extranonce1Hex);
  if (bad !== null) return no(bad);
  const input = INPUT;
  c.job.copyInputInto(input);
  input.set(c.extranonce1, NONCE_OFFSET);
  input.set(s.extranonce2!, NONCE_OFFSET + c.extranonce1.length);
  input.set(s.solution!, SOLUTION_SIZE_OFFSET); // the submitted compact size too, whatever it is
  // 9 (after 8). PBaaS jobs: the tail must carry extranonce1, a case-sensitive substring test on
  // the last 30 hex digits as submitted (so an uppercase tail fails, as at the pool).
  return judge(c, input, s.tailText.includes(c.extranonce1Hex));
}

/** Steps 8–13 for a WebSocket share: the job's template with this 15-byte tail, nonce xn1 ‖ zeros. */
export function validateTail(c: JobShareCheck, tail: Uint8Array): Verdict {
  if (tail.length !== NONCE_TAIL_BYTES) return no(rejectOf("nonce-size"));
  const input = INPUT;
  c.job.copyInputInto(input);
  input.set(c.extranonce1, NONCE_OFFSET);
  input.set(tail, NONCE_TAIL_OFFSET);
  // Step 9 as the pool would make it on the submit this share forwards as (lowercase hex).
  return judge(c, input, c.job.solutionVersion <= 6 || bytesToHex(tail).includes(c.extranonce1Hex));
}

/** Steps 8–13 on the assembled input (`INPUT`, uncleared, with the miner's nonce). */
function judge(c: JobShareCheck, input: Uint8Array, tailHasExtranonce1: boolean): Verdict {
  const job = c.job;
  // 8. duplicates, registered before the checks below (as the pool does: a resubmitted
  //    "pool nonce missing" share comes back as a duplicate).
  if (!c.duplicates.add(job.id, input === INPUT ? INPUT_KEY : input.subarray(NONCE_OFFSET)))
    return no(rejectOf("duplicate"));
  // 9. PBaaS jobs: the tail carries extranonce1.
  if (job.solutionVersion > 6 && !tailHasExtranonce1) return no(rejectOf("pool-nonce-missing"));
  // 10. hash, with the daemon's nonce under the pool rule.
  if (c.rule === "pool" && job.solutionVersion > 6) {
    if (job.daemonNonce === null) throw new TypeError(`pool rule needs the daemon nonce of job ${job.id}`);
    input.set(job.daemonNonce, NONCE_OFFSET);
  }
  let hash: Uint8Array;
  if (input[SOLUTION_OFFSET] === 0x03) {
    // Solution version 3: VerusHash 2.1 on the raw bytes (pools test the first solution byte).
    if (c.hashers.hash21 === undefined)
      return no(unsupportedVersionReject(bytesToHex(input.subarray(SOLUTION_OFFSET, SOLUTION_OFFSET + 4))));
    hash = checked32(c.hashers.hash21(input));
  } else if (c.rule === "miner") {
    const h = c.hashers;
    hash = checked32(
      h.hashMinerRule !== undefined
        ? h.hashMinerRule(input)
        : h.hash22(minerRuleClears(input) ? clearInPlace(input) : input),
    );
  } else if (!poolRuleChecks(input)) {
    hash = checked32(c.hashers.hash22(input));
  } else {
    const outcome = poolRuleOutcome(input, c.hashers.preHeaderHash);
    hash =
      outcome === "mismatch"
        ? FF32.slice()
        : checked32(c.hashers.hash22(outcome === "clear" ? clearInPlace(input) : input));
  }
  // 11–12. share difficulty, block candidate, and the pool's 1 % float tolerance.
  const diff = poolShareDifficulty(hash);
  const blockCandidate = meetsTargetLE(hash, job.blockTargetLE);
  let credited = c.target.difficulty;
  if (!blockCandidate && diff / credited < 0.99) {
    const previous = c.target.previousDifficulty;
    if (previous !== undefined && previous !== null && previous > 0 && diff >= previous) credited = previous;
    else return no(lowDifficultyReject(diff), hash);
  }
  // 13. accept.
  return { ok: true, job, hash, shareDifficulty: diff, creditedDifficulty: credited, blockCandidate };
}

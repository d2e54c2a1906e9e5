// submit.ts — a mining.submit turned into bytes once, where it arrives (verus-stratum.md §3.6), so
// everything after works on bytes: the job's own bytes, the miner's extranonce2 and solution.
//
// Pools judge some fields as text, and a bridge must answer as they do (verus-stratum.md §5): the
// solution version is compared case-sensitively with the template's lowercase hex, the extranonce1
// test is a case-sensitive substring search in the last 30 hex digits (an uppercase tail fails),
// and sizes count hex characters. So the parse keeps those two short texts and the lengths, and
// never rejects by itself: an unknown job (21) outranks every malformed field, so the field checks
// wait for the job (submitReject), in the pools' order.

import { hexToBytesOrNull, isHex, readU32LE } from "./hex.ts";
import type { Job } from "./job.ts";
import {
  NONCE_BYTES,
  NONCE_TAIL_BYTES,
  SOLUTION_COMPACT_SIZE,
  SUBMITTED_SOLUTION_HEX_CHARS,
} from "./layout.ts";
import type { SubmitParams } from "./miner-messages.ts";
import { rejectOf, solutionSizeReject, solutionVersionReject, type ShareReject } from "./reject.ts";

/** Hex digits before the solution version in a submitted solution: "fd4005". */
const VERSION_AT = 2 * SOLUTION_COMPACT_SIZE.length;
const TAIL_CHARS = 2 * NONCE_TAIL_BYTES;

/** A mining.submit as bytes, with what the pools read as text kept as text. */
export interface SubmitBytes {
  kind: "solution";
  jobId: string;
  /** nTime as the header carries it (uint32 of the LE hex); null when not 8 hex digits (`nTimeReject` says why). */
  nTime: number | null;
  nTimeReject: ShareReject | null;
  /** null when not hex; `extranonce2Chars` is its length as sent (the nonce-size check counts digits). */
  extranonce2: Uint8Array | null;
  extranonce2Chars: number;
  /** "fd4005" ‖ the 1344 solution bytes (hash input bytes 140..1486); null unless 2694 hex digits. */
  solution: Uint8Array | null;
  solutionChars: number;
  /** Solution hex digits 6..13 as sent (the solution version, compared as text). */
  versionText: string;
  /** The last 30 hex digits as sent (the 15-byte tail, searched for extranonce1 as text). */
  tailText: string;
}

/** Decodes the fields of a submit; never throws and never rejects (see submitReject). */
export function parseSubmit(
  p: Pick<SubmitParams, "jobId" | "nTime" | "extranonce2" | "solution">,
): SubmitBytes {
  const t = p.nTime;
  const nTimeReject = t.length !== 8 ? rejectOf("ntime-size") : !isHex(t) ? rejectOf("ntime-invalid") : null;
  const sol = p.solution;
  return {
    kind: "solution",
    jobId: p.jobId,
    nTime: nTimeReject === null ? readU32LE(hexToBytesOrNull(t)!, 0) : null,
    nTimeReject,
    extranonce2: hexToBytesOrNull(p.extranonce2),
    extranonce2Chars: p.extranonce2.length,
    solution: sol.length === SUBMITTED_SOLUTION_HEX_CHARS ? hexToBytesOrNull(sol) : null,
    solutionChars: sol.length,
    versionText: sol.slice(VERSION_AT, VERSION_AT + 8),
    tailText: sol.slice(-TAIL_CHARS),
  };
}

/**
 * Steps 3–7 of verus-stratum.md §5 for a submit of a known job, in the pools' order and with their
 * texts: nTime (size, hex, the job's), nonce size, solution size, solution version, hex. null when
 * the submit is well formed: then extranonce2 and solution are set, and the nonce is 32 bytes.
 */
export function submitReject(s: SubmitBytes, job: Job, extranonce1Hex: string): ShareReject | null {
  if (s.nTimeReject !== null) return s.nTimeReject;
  if (s.nTime !== job.nTime) return rejectOf("ntime-out-of-range");
  if (extranonce1Hex.length + s.extranonce2Chars !== 2 * NONCE_BYTES) return rejectOf("nonce-size");
  if (s.solutionChars !== SUBMITTED_SOLUTION_HEX_CHARS) return solutionSizeReject(s.solutionChars);
  // The "fd4005" itself is not checked by pools: a wrong prefix is simply hashed (and fails the
  // difficulty check). The version is compared as text, as the pool compares it with the daemon's hex.
  if (s.versionText !== job.solutionVersionHex)
    return solutionVersionReject(s.versionText, job.solutionVersionHex);
  if (s.extranonce2 === null) return rejectOf("extranonce2-hex");
  if (s.solution === null) return rejectOf("solution-hex");
  return null;
}

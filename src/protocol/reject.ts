// reject.ts — share rejects: the codes 20–25 and the exact texts the node-stratum-pool family
// (v-nomp, hellcatz, LuckPool lineage) sends (verus-stratum.md §3.7), in both directions:
// built by the validator and the built-in pool, recognised by the pool client in replies.

import type { RpcError } from "./jsonrpc.ts";

export type RejectReason =
  | "unauthorized" // 24
  | "not-subscribed" // 25
  | "job-not-found" // 21 (also verusProxy's "pool not found" while it reconnects upstream)
  | "duplicate" // 22
  | "low-difficulty" // 23, with the pool's share difficulty when the text carries it
  | "ntime-size" // 20 …
  | "ntime-invalid"
  | "ntime-out-of-range"
  | "nonce-size"
  | "solution-size"
  | "solution-version"
  | "extranonce2-hex"
  | "solution-hex" // ours: the pool would hash a truncated buffer; we refuse bad hex outright
  | "pool-nonce-missing"
  | "unsupported-version" // ours: solution version 3 (VerusHash 2.1) without a 2.1 hasher
  | "unspecified" // rejected (result false/null) with no error at all
  | "other"; // any other code or text, kept verbatim

export interface ShareReject {
  code: number;
  reason: RejectReason;
  /** The text as sent on the wire (error[1]). */
  message: string;
  /** For low-difficulty: the share difficulty the pool computed, when the text carries it. */
  shareDifficulty?: number;
}

const FIXED = {
  unauthorized: [24, "unauthorized worker"],
  "not-subscribed": [25, "not subscribed"],
  "job-not-found": [21, "job not found"],
  duplicate: [22, "duplicate share"],
  "ntime-size": [20, "incorrect size of ntime"],
  "ntime-invalid": [20, "invalid ntime"],
  "ntime-out-of-range": [20, "ntime out of range"],
  "nonce-size": [20, "incorrect size of nonce"],
  "extranonce2-hex": [20, "invalid hex in extraNonce2"],
  "solution-hex": [20, "invalid hex in solution"],
  "pool-nonce-missing": [20, "invalid solution, pool nonce missing"],
} as const satisfies Partial<Record<RejectReason, readonly [number, string]>>;

export type FixedRejectReason = keyof typeof FIXED;

/** A reject whose text never varies. */
export function rejectOf(reason: FixedRejectReason): ShareReject {
  const [code, message] = FIXED[reason];
  return { code, reason, message };
}

/** `Error: Incorrect size of solution (N), expected 2694`; N counts hex characters. */
export function solutionSizeReject(length: number): ShareReject {
  return {
    code: 20,
    reason: "solution-size",
    message: `Error: Incorrect size of solution (${length}), expected 2694`,
  };
}

/** `invalid solution version (06000000), expected 07000000`: the hex of solution bytes 0..3. */
export function solutionVersionReject(got: string, expected: string): ShareReject {
  return {
    code: 20,
    reason: "solution-version",
    message: `invalid solution version (${got}), expected ${expected}`,
  };
}

/** `low difficulty share of X`, X printed as JavaScript prints a number (as the pool does). */
export function lowDifficultyReject(shareDifficulty: number): ShareReject {
  return {
    code: 23,
    reason: "low-difficulty",
    message: `low difficulty share of ${shareDifficulty}`,
    shareDifficulty,
  };
}

export function unsupportedVersionReject(versionHex: string): ShareReject {
  return { code: 20, reason: "unsupported-version", message: `unsupported solution version (${versionHex})` };
}

/**
 * The error member of a reject reply in node-stratum-pool's shapes: [code, msg] for share
 * errors, [code, msg, null] for 24 and 25.
 */
export function rejectToRpcError(r: ShareReject): RpcError {
  return r.code === 24 || r.code === 25
    ? { code: r.code, message: r.message, data: null }
    : { code: r.code, message: r.message };
}

const SOLUTION_SIZE = /^Error: Incorrect size of solution \((\d+)\), expected 2694$/;
const SOLUTION_VERSION = /^invalid solution version \(.*\), expected .*$/;
const LOW_DIFFICULTY = /^low difficulty share of (.+)$/;

const BY_CODE: Partial<Record<number, RejectReason>> = {
  21: "job-not-found",
  22: "duplicate",
  23: "low-difficulty",
  24: "unauthorized",
  25: "not-subscribed",
};

/** Recognise a pool's error reply to a submit. Unknown texts keep their code and fall back by code. */
export function classifyReject(e: RpcError): ShareReject {
  const base = { code: e.code, message: e.message };
  for (const [reason, [code, text]] of Object.entries(FIXED)) {
    if (code === e.code && text === e.message) return { ...base, reason: reason as RejectReason };
  }
  if (e.code === 20 && SOLUTION_SIZE.test(e.message)) return { ...base, reason: "solution-size" };
  if (e.code === 20 && SOLUTION_VERSION.test(e.message)) return { ...base, reason: "solution-version" };
  const low = e.code === 23 ? LOW_DIFFICULTY.exec(e.message) : null;
  if (low) {
    const d = Number(low[1]);
    return Number.isNaN(d)
      ? { ...base, reason: "low-difficulty" }
      : { ...base, reason: "low-difficulty", shareDifficulty: d };
  }
  return { ...base, reason: BY_CODE[e.code] ?? "other" };
}

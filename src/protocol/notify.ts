// notify.ts — the 9-parameter Verus mining.notify (verus-stratum.md §3.5), decoded strictly
// (ccminer insists on exact lengths; so do we) and encoded canonically (lowercase hex).

import type { RpcId } from "./jsonrpc.ts";
import { badParams, expectCount, readHex } from "./params.ts";
import { SOLUTION_BYTES } from "./layout.ts";

export const NOTIFY = "mining.notify";
/** Job ids are opaque strings (v-nomp: short hex counters that wrap). This only bounds them. */
export const MAX_JOB_ID_LENGTH = 128;

export interface Notify {
  method: typeof NOTIFY;
  id: RpcId;
  jobId: string;
  /** Header bytes 0..3, 8 hex digits, already in header (LE) order: "04000100". */
  version: string;
  /** Header bytes 4..35, 64 hex digits in header order (display order reversed). */
  prevHash: string;
  /** Header bytes 36..67. */
  merkleRoot: string;
  /** Header bytes 68..99 (zeros when the daemon gave none). */
  finalSaplingRoot: string;
  /** Header bytes 100..103, LE: "c82b016b" = 0x6b012bc8. Shares must carry exactly this. */
  nTime: string;
  /** Header bytes 104..107, LE: "0562021b" = bits 1b026205. */
  nBits: string;
  cleanJobs: boolean;
  /** The daemon's solution with trailing zero bytes trimmed: 0..1344 bytes of hex ("06" is real). */
  solution: string;
}

/** A job id as the pools send it: a non-empty string (a number is read as its decimal string). */
export function readJobId(method: string, params: unknown[], i: number): string {
  const v = params[i];
  const s = typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? String(v) : v;
  if (typeof s !== "string" || s.length === 0 || s.length > MAX_JOB_ID_LENGTH) {
    throw badParams(
      method,
      i,
      `job id must be a non-empty string of at most ${MAX_JOB_ID_LENGTH} characters`,
    );
  }
  return s;
}

/** Decode notify params. Extra params after the ninth are ignored. */
export function decodeNotify(id: RpcId, params: unknown[]): Notify {
  expectCount(NOTIFY, params, 9);
  const clean = params[7];
  if (typeof clean !== "boolean") throw badParams(NOTIFY, 7, "clean_jobs must be a boolean");
  return {
    method: NOTIFY,
    id,
    jobId: readJobId(NOTIFY, params, 0),
    version: readHex(NOTIFY, params, 1, { hexChars: 8 }),
    prevHash: readHex(NOTIFY, params, 2, { hexChars: 64 }),
    merkleRoot: readHex(NOTIFY, params, 3, { hexChars: 64 }),
    finalSaplingRoot: readHex(NOTIFY, params, 4, { hexChars: 64 }),
    nTime: readHex(NOTIFY, params, 5, { hexChars: 8 }),
    nBits: readHex(NOTIFY, params, 6, { hexChars: 8 }),
    cleanJobs: clean,
    solution: readHex(NOTIFY, params, 8, { minChars: 0, maxChars: 2 * SOLUTION_BYTES }),
  };
}

export function notifyParams(n: Notify): unknown[] {
  return [
    n.jobId,
    n.version,
    n.prevHash,
    n.merkleRoot,
    n.finalSaplingRoot,
    n.nTime,
    n.nBits,
    n.cleanJobs,
    n.solution,
  ];
}

// shares.ts — real shares for the pool tests, found the way a PBaaS-aware miner finds them:
// ccminer 3.8.3's tail layout (xn1 first, then zeros, then a uint32 LE counter at tail[11..14],
// verushash.md §1.4), the native prepared-job scan under the miner rule, and a submit built from
// the uncleared template (verus-stratum.md §4).

import { Hasher } from "../../src/hash/index.ts";
import { decodeNotify } from "../../src/protocol/notify.ts";
import { hexToBytes } from "../../src/protocol/hex.ts";
import { Job } from "../../src/protocol/job.ts";
import { submitParamsOf } from "../../src/protocol/miner-messages.ts";
import { NONCE_TAIL_BYTES, TAIL_COUNTER_OFFSET } from "../../src/protocol/layout.ts";
import { leBytesToBigInt, targetToLE } from "../../src/protocol/target.ts";

export const WORKER = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.test";
/** Hashes tried at most when looking for a miss (a bounded loop; misses are common in the tests). */
const MAX_TRIES = 100_000;

export interface FoundShare {
  /** The five mining.submit params. */
  params: string[];
  /** Miner-rule hash in memory order (what the pool computes too, for an honest share). */
  hash: Uint8Array;
  counter: number;
}

export interface ShareSearch {
  /** notify params (9) of the job. */
  notify: unknown[];
  extranonce1: string;
  /** The share target (set_target) the result must meet — or miss, with `miss`. */
  target: bigint;
  /** First counter tried (use distinct ranges for distinct shares). */
  start?: number;
  miss?: boolean;
  /** Bytes put in the tail instead of xn1 (to provoke "pool nonce missing"). */
  tailPrefix?: Uint8Array;
}

export function findShare(hasher: Hasher, s: ShareSearch): FoundShare {
  const job = new Job(decodeNotify(null, s.notify));
  const xn1 = hexToBytes(s.extranonce1);
  const xn2 = new Uint8Array(32 - xn1.length);
  const tail = new Uint8Array(NONCE_TAIL_BYTES);
  tail.set(s.tailPrefix ?? xn1, 0);
  hasher.prepareJob(job.hashInput(xn1, xn2, tail));
  const start = s.start ?? 0;
  let counter = -1;
  if (s.miss) {
    // A clear miss: the pool forgives shares within 1 % of the target (its float tolerance).
    const clearMiss = s.target + s.target / 50n;
    for (let n = start; n < start + MAX_TRIES && counter < 0; n++) {
      setCounter(tail, n);
      if (leBytesToBigInt(hasher.jobHash(tail)) > clearMiss) counter = n;
    }
  } else {
    const found = hasher.scan(tail, start, MAX_TRIES, targetToLE(s.target), 1);
    if (found.length > 0) counter = found[0]!;
  }
  if (counter < 0) throw new Error(`no ${s.miss ? "miss" : "share"} within ${MAX_TRIES} hashes`);
  setCounter(tail, counter);
  const hash = hasher.jobHash(tail);
  return { params: submitParamsOf(job.submitParams(WORKER, xn2, tail)), hash, counter };
}

function setCounter(tail: Uint8Array, n: number): void {
  new DataView(tail.buffer, tail.byteOffset).setUint32(TAIL_COUNTER_OFFSET, n >>> 0, true);
}

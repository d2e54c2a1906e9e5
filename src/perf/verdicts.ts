/**
 * Share-verdict benchmark: hashHeader of many headers of one job that differ only in the nonce
 * tail (what a bridge sees when its miners submit shares), plus the target test, through the
 * TypeScript API on the calling thread. The library's per-job key cache makes each verdict cost one
 * hash (spec §7.3); this measures what is left on top: FFI and JavaScript.
 */
import {
  HASH_BYTES,
  HASH_INPUT_BYTES,
  JOB_PREFIX_BYTES,
  TAIL_COUNTER_OFFSET,
  Hasher,
  type ImplName,
} from "../hash/index.ts";
import { meetsTargetLE } from "../protocol/target.ts";

/** Distinct shares cycled through; enough that no two consecutive calls see the same bytes. */
const SHARES = 256;
const WARMUP_SECONDS = 0.2;

export function benchVerdicts(impl: ImplName, seconds: number, job: Uint8Array): number {
  const hasher = Hasher.open(impl);
  const shares = makeShares(job);
  const out = new Uint8Array(HASH_BYTES);
  // A realistic pool target (difficulty ≈ 1 share per 2^32 hashes): almost every verdict is "low".
  const target = new Uint8Array(HASH_BYTES);
  target[28] = 1;
  run(hasher, shares, out, target, WARMUP_SECONDS); // let the JIT compile the loop first
  const { rate } = run(hasher, shares, out, target, seconds);
  hasher.close();
  return rate;
}

/** `good` is returned so that the target test is part of the measured work, as in a bridge. */
function run(hasher: Hasher, shares: Uint8Array[], out: Uint8Array, target: Uint8Array, seconds: number) {
  let verdicts = 0;
  let good = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (const share of shares) {
      hasher.hashHeaderInto(share, out);
      if (meetsTargetLE(out, target)) good++;
    }
    verdicts += shares.length;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < seconds);
  return { rate: verdicts / elapsed, good };
}

/** SHARES copies of the job in one buffer, each with its own counter in the last 4 tail bytes. */
function makeShares(job: Uint8Array): Uint8Array[] {
  const all = new Uint8Array(SHARES * HASH_INPUT_BYTES);
  const shares: Uint8Array[] = [];
  for (let i = 0; i < SHARES; i++) {
    const share = all.subarray(i * HASH_INPUT_BYTES, (i + 1) * HASH_INPUT_BYTES);
    share.set(job);
    new DataView(all.buffer).setUint32(share.byteOffset + JOB_PREFIX_BYTES + TAIL_COUNTER_OFFSET, i, true);
    shares.push(share);
  }
  return shares;
}

/**
 * The VerusHash 2.2 vector checks, over anything that hashes like a Hasher: the native library
 * (selftest.ts: `vbridge selftest`) and the WebAssembly build (src/hash/wasm.ts: bun tests and the
 * vectors page in Chromium). Pure: no library is loaded here, so it bundles for the browser too.
 * Every expectation is one check; a mismatch names the vector.
 */
import {
  FIRST_PREHEADER_HASH_OFFSET,
  HASH_INPUT_BYTES,
  JOB_PREFIX_BYTES,
  NONCE_TAIL_BYTES,
  SOLUTION_OFFSET,
  TAIL_COUNTER_OFFSET,
} from "../protocol/layout.ts";
import type { SelftestVectors } from "./vectors.ts";
import { leBytesToBigInt, meetsTargetLE } from "../protocol/target.ts";
import { bytesToHex, hexToBytes } from "../util/hex.ts";

/** What the checks call; Hasher and WasmHasher both fit. */
export interface VectorTarget {
  readonly impl: string;
  hash(input: Uint8Array): Uint8Array;
  hashHeader(header: Uint8Array): { hash: Uint8Array; cleared: boolean };
  preheaderHash(header: Uint8Array): Uint8Array;
  prepareJob(header: Uint8Array): boolean;
  jobHash(tail: Uint8Array): Uint8Array;
  scan(
    tail: Uint8Array,
    start: number,
    count: number,
    target: Uint8Array,
    maxFound: number,
  ): ArrayLike<number>;
}

export type SelftestResult = { impl: string; passed: number; failed: number; failures: string[] };

/** Nonces the scan check covers; enough for several hits below a median target. */
const SCAN_NONCES = 64;
/** Input offset of the first PBaaS header's hashPreHeader (spec §1.2). */
const FIRST_PREHEADER = SOLUTION_OFFSET + FIRST_PREHEADER_HASH_OFFSET;

export function runVectorChecks(hasher: VectorTarget, set: SelftestVectors): SelftestResult {
  const result: SelftestResult = { impl: hasher.impl, passed: 0, failed: 0, failures: [] };
  const check = (name: string, got: string, want: string) => {
    if (got === want) result.passed++;
    else {
      result.failed++;
      result.failures.push(`${name}: got ${got}, want ${want}`);
    }
  };

  for (const v of set.vectors) {
    const input = hexToBytes(v.input);
    if (v.raw !== undefined) check(`${v.id} raw`, bytesToHex(hasher.hash(input)), v.raw);
    if (v.miner !== undefined) {
      const { hash, cleared } = hasher.hashHeader(input);
      check(
        `${v.id} miner rule`,
        `${bytesToHex(hash)} cleared=${cleared}`,
        `${v.miner.hash} cleared=${v.miner.cleared}`,
      );
    }
    if (v.canonical !== undefined) {
      check(`${v.id} canonical`, bytesToHex(hasher.hash(hexToBytes(v.canonical.input))), v.canonical.hash);
    }
    if (v.preheaderMatchesFirst !== undefined) {
      const first = bytesToHex(input.subarray(FIRST_PREHEADER, FIRST_PREHEADER + 32));
      const matches = bytesToHex(hasher.preheaderHash(input)) === first;
      check(`${v.id} pre-header`, `matches=${matches}`, `matches=${v.preheaderMatchesFirst}`);
    }
  }

  // One prepared job, tails in order: a missing key restore breaks every step after the first.
  const job = hexToBytes(set.mining.job);
  hasher.prepareJob(job);
  for (const step of set.mining.steps) {
    check(`${step.id} job hash`, bytesToHex(hasher.jobHash(hexToBytes(step.tail))), step.hash);
  }
  for (const step of set.mining.steps) {
    const full = new Uint8Array(HASH_INPUT_BYTES);
    full.set(job.subarray(0, JOB_PREFIX_BYTES));
    full.set(hexToBytes(step.tail), JOB_PREFIX_BYTES);
    check(`${step.id} raw`, bytesToHex(hasher.hash(full)), step.hash);
  }

  checkScan(hasher, job, check);
  return result;
}

/**
 * Scan against brute force: with the median hash of a nonce range as the target, about half the
 * nonces pass; scan must return exactly those, in order, and stop early at max_found.
 */
function checkScan(
  hasher: VectorTarget,
  job: Uint8Array,
  check: (name: string, got: string, want: string) => void,
) {
  hasher.prepareJob(job);
  const tail = job.slice(JOB_PREFIX_BYTES, JOB_PREFIX_BYTES + NONCE_TAIL_BYTES);
  const view = new DataView(tail.buffer);
  const hashes: Uint8Array[] = [];
  for (let n = 0; n < SCAN_NONCES; n++) {
    view.setUint32(TAIL_COUNTER_OFFSET, n, true);
    hashes.push(hasher.jobHash(tail));
  }
  const target = [...hashes].sort((a, b) => Number(leBytesToBigInt(a) - leBytesToBigInt(b)))[
    SCAN_NONCES / 2
  ]!;
  const want = hashes.flatMap((h, n) => (meetsTargetLE(h, target) ? [n] : []));
  const join = (a: ArrayLike<number>) => Array.from(a).join(",");
  check("scan all", join(hasher.scan(tail, 0, SCAN_NONCES, target, SCAN_NONCES)), want.join(","));
  check("scan max_found=2", join(hasher.scan(tail, 0, SCAN_NONCES, target, 2)), want.slice(0, 2).join(","));
}

/**
 * Which entries of ../shared/vectors/verushash.json apply to VerusHash 2.2 and the miner rule, and
 * what each one expects (format: shared/vectors/README.md). Pure data shaping, no hashing: the
 * selftest-vector generator and the tests both classify with this one function.
 */
import {
  CLEARED_RANGES,
  HASH_INPUT_BYTES,
  JOB_PREFIX_BYTES,
  minerRuleClears,
  SOLUTION_OFFSET,
} from "../protocol/layout.ts";
import { hexToBytes, readU32LE } from "../util/hex.ts";

/** One entry of the shared vector file (only the fields used here). */
export type SharedVector = {
  id: string;
  algo: string;
  input_hex: string;
  hash_hex: string;
  rule?: string;
  canonical_input_hex?: string;
  pool_hash2b2_hex?: string;
  miner_hash_hex?: string;
};

/** Every check one input carries. Hex strings; hashes in memory order. */
export type VectorChecks = {
  id: string;
  input: string;
  /** Plain VerusHash 2.2 of `input`. */
  raw?: string;
  /** hashHeader(input): miner-rule result and whether clearing applied. */
  miner?: { hash: string; cleared: boolean };
  /** Plain VerusHash 2.2 of the already-cleared input (spec §3.2). */
  canonical?: { input: string; hash: string };
  /** Whether BLAKE2b(pre-header) equals the first PBaaS header's hashPreHeader (spec §3.4). */
  preheaderMatchesFirst?: boolean;
};

/** The mining-seq group: one job, tails hashed in order with one prepared key (spec §7.2). */
export type MiningSequence = {
  job: string;
  steps: { id: string; tail: string; hash: string }[];
};

export type SelftestVectors = {
  source: string;
  vectors: VectorChecks[];
  mining: MiningSequence;
};

const VERUS_V2 = 0x00010004;
const FF32 = "ff".repeat(32);

/** Whether the bytes that clearing zeroes (spec §3.2) are already all zero. */
export function isCleared(header: Uint8Array): boolean {
  return CLEARED_RANGES.every(([from, to]) => header.subarray(from, to).every((x) => x === 0));
}

/** Splits the shared file into per-input checks and the mining sequence. */
export function classify(shared: SharedVector[], source: string): SelftestVectors {
  const vectors: VectorChecks[] = [];
  const mining: MiningSequence = { job: "", steps: [] };
  for (const v of shared) {
    if (v.id.startsWith("mining-seq-")) {
      addMiningStep(mining, v);
      continue;
    }
    const checks = classifyOne(v);
    if (checks !== undefined) vectors.push(checks);
  }
  if (mining.steps.length === 0) throw new Error(`${source}: no mining-seq-* vectors`);
  return { source, vectors, mining };
}

function classifyOne(v: SharedVector): VectorChecks | undefined {
  const input = hexToBytes(v.input_hex);
  const checks: VectorChecks = { id: v.id, input: v.input_hex };
  const clears = minerRuleClears(input);
  if (v.algo === "verushash2.2") {
    checks.raw = v.hash_hex;
    // The miner result is known when the rule leaves the bytes alone, or they are already cleared.
    if (input.length === HASH_INPUT_BYTES && (!clears || isCleared(input))) {
      checks.miner = { hash: v.hash_hex, cleared: clears };
    }
    return checks;
  }
  if (v.algo !== "block" || input.length !== HASH_INPUT_BYTES) return undefined;
  // Blocks hashed by other functions (genesis SHA256d, 1.0, 2.0b, 2.1) are not VerusHash 2.2.
  if (readU32LE(input, 0) !== VERUS_V2 || readU32LE(input, SOLUTION_OFFSET) < 4) return undefined;
  if (v.rule === "raw") {
    checks.raw = v.hash_hex;
    if (!clears) checks.miner = { hash: v.hash_hex, cleared: false };
  } else if (v.rule === "pbaas-cleared" && v.canonical_input_hex !== undefined) {
    checks.miner = { hash: v.hash_hex, cleared: clears };
    checks.canonical = { input: v.canonical_input_hex, hash: v.hash_hex };
  } else if (v.rule === "mismatch" && v.miner_hash_hex !== undefined) {
    checks.miner = { hash: v.miner_hash_hex, cleared: clears };
  } else {
    return undefined;
  }
  // The pool rule yields ff…ff exactly when the first header's pre-header hash does not match.
  if (clears && v.pool_hash2b2_hex !== undefined && !isCleared(input)) {
    checks.preheaderMatchesFirst = v.pool_hash2b2_hex !== FF32;
  }
  return checks;
}

function addMiningStep(mining: MiningSequence, v: SharedVector): void {
  if (v.input_hex.length !== HASH_INPUT_BYTES * 2) throw new Error(`${v.id}: not a 1487-byte header`);
  const prefix = v.input_hex.slice(0, JOB_PREFIX_BYTES * 2);
  if (mining.job === "") mining.job = v.input_hex;
  else if (mining.job.slice(0, JOB_PREFIX_BYTES * 2) !== prefix) {
    throw new Error(`${v.id}: bytes 0..1471 differ from the first mining-seq vector`);
  }
  mining.steps.push({ id: v.id, tail: v.input_hex.slice(JOB_PREFIX_BYTES * 2), hash: v.hash_hex });
}

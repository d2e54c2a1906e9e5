/**
 * Runs the vectors embedded in the binary (selftest-vectors.json, generated from the shared
 * vectors) through one Hasher. Every expectation is one check; a mismatch names the vector.
 */
import { HEADER_BYTES, PREFIX_BYTES, TAIL_BYTES, TAIL_COUNTER_OFFSET } from "./abi.ts";
import { preheaderHash, type Hasher } from "./hasher.ts";
import { meetsTargetLE } from "../protocol/target.ts";
import type { SelftestVectors } from "./vectors.ts";
import { hexToBytes, bytesToHex } from "../util/hex.ts";
import embedded from "./selftest-vectors.json";

export const EMBEDDED_VECTORS: SelftestVectors = embedded;

/** Nonces the scan check covers; enough for several hits below a median target. */
const SCAN_NONCES = 64;
/** Offset of the first PBaaS header's hashPreHeader: solution at 143, sol[92..123] (spec §1.2). */
const FIRST_PREHEADER = 143 + 92;

export type SelftestResult = { impl: string; passed: number; failed: number; failures: string[] };

export function runSelftest(hasher: Hasher, set: SelftestVectors = EMBEDDED_VECTORS): SelftestResult {
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
      const matches = bytesToHex(preheaderHash(input)) === first;
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
    const full = new Uint8Array(HEADER_BYTES);
    full.set(job.subarray(0, PREFIX_BYTES));
    full.set(hexToBytes(step.tail), PREFIX_BYTES);
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
  hasher: Hasher,
  job: Uint8Array,
  check: (name: string, got: string, want: string) => void,
) {
  hasher.prepareJob(job);
  const tail = job.slice(PREFIX_BYTES, PREFIX_BYTES + TAIL_BYTES);
  const view = new DataView(tail.buffer);
  const hashes: Uint8Array[] = [];
  for (let n = 0; n < SCAN_NONCES; n++) {
    view.setUint32(TAIL_COUNTER_OFFSET, n, true);
    hashes.push(hasher.jobHash(tail));
  }
  const target = [...hashes].sort(compareLE)[SCAN_NONCES / 2]!;
  const want = hashes.flatMap((h, n) => (meetsTargetLE(h, target) ? [n] : []));
  check("scan all", hasher.scan(tail, 0, SCAN_NONCES, target, SCAN_NONCES).join(","), want.join(","));
  check(
    "scan max_found=2",
    hasher.scan(tail, 0, SCAN_NONCES, target, 2).join(","),
    want.slice(0, 2).join(","),
  );
}

function compareLE(a: Uint8Array, b: Uint8Array): number {
  for (let i = 31; i >= 0; i--) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

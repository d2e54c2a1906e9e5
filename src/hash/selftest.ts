/**
 * Runs the vectors embedded in the binary (selftest-vectors.json, generated from the shared
 * vectors) through one Hasher. The checks themselves are vector-checks.ts, shared with the
 * WebAssembly build.
 */
import type { Hasher } from "./hasher.ts";
import type { SelftestVectors } from "./vectors.ts";
import { runVectorChecks, type SelftestResult } from "./vector-checks.ts";
import embedded from "./selftest-vectors.json";

export type { SelftestResult } from "./vector-checks.ts";

export const EMBEDDED_VECTORS: SelftestVectors = embedded;

export function runSelftest(hasher: Hasher, set: SelftestVectors = EMBEDDED_VECTORS): SelftestResult {
  return runVectorChecks(hasher, set);
}

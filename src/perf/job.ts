/**
 * The job the benchmarks hash: mainnet block 2549501, a real solution-version-7 PBaaS header, the
 * shape of every current job (spec §2). Taken from the vectors embedded for the selftest.
 */
import { HASH_INPUT_BYTES, EMBEDDED_VECTORS } from "../hash/index.ts";
import { hexToBytes } from "../util/hex.ts";

const BENCH_JOB_ID = "chain-2549501";

export function benchJob(): Uint8Array {
  const v = EMBEDDED_VECTORS.vectors.find((x) => x.id === BENCH_JOB_ID);
  const header = v === undefined ? undefined : hexToBytes(v.input);
  if (header?.length !== HASH_INPUT_BYTES)
    throw new Error(`selftest vectors lack the ${BENCH_JOB_ID} header`);
  return header;
}

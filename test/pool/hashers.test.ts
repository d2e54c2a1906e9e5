// The validator's hash22 through the cached native path must be plain VerusHash 2.2 of the bytes
// as given — cached when clearing would not change them, uncached otherwise.

import { afterAll, expect, test } from "bun:test";
import { Hasher } from "../../src/hash/index.ts";
import { poolHashers } from "../../src/pool/hashers.ts";
import { seededRandom } from "../../src/pool/random.ts";
import { SyntheticJobSource } from "../../src/pool/synthetic.ts";
import { assembleInput, clearedCopy } from "../../src/protocol/pbaas.ts";

const hasher = Hasher.open("auto");
afterAll(() => hasher.close());
const h = poolHashers(hasher);
const job = new SyntheticJobSource({ random: seededRandom(3), jobIntervalMs: 1000, blockIntervalMs: 1000 }, 0)
  .current.job;
const tail = (n: number) => Uint8Array.from({ length: 15 }, (_, i) => (i === 14 ? n : 0x5a));
const v7 = (n: number) => assembleInput(job.header(job.daemonNonce!), job.solution(tail(n)));

test("a cleared v7 input: the same as hashing it raw, share after share", () => {
  for (let n = 0; n < 4; n++) {
    const input = clearedCopy(v7(n));
    expect(h.hash22(input)).toEqual(hasher.hash(input));
  }
});

test("an uncleared v7 input is hashed raw, not cleared", () => {
  const input = v7(1);
  expect(h.hash22(input)).toEqual(hasher.hash(input));
  expect(h.hash22(input)).not.toEqual(hasher.hash(clearedCopy(input)));
});

test("an input the miner rule would not clear (no PBaaS header) is hashed raw", () => {
  const input = v7(2);
  input[143 + 5] = 0; // numPBaaSHeaders = 0
  expect(h.hash22(input)).toEqual(hasher.hash(input));
});

test("the pre-header hash is the native BLAKE2b", () => {
  expect(h.preHeaderHash(v7(0))).toEqual(job.template().subarray(92, 124));
});

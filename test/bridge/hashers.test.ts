// The verdict hash contexts: the miner-rule hash of any input validateShare hands over, one context
// per recent job, the least recently used one reused past the cap.

import { afterAll, expect, test } from "bun:test";
import { HasherCache } from "../../src/bridge/hashers.ts";
import { Hasher } from "../../src/hash/index.ts";
import { clearedCopy, decodeNotify, Job } from "../../src/protocol/index.ts";
import { NTIME, PREV_A, PREV_B, TEMPLATE } from "../upstream/helpers.ts";

const reference = Hasher.open("auto");
afterAll(() => reference.close());

function job(id: string, prev: string): Job {
  return new Job(
    decodeNotify(null, [
      id,
      "04000100",
      prev,
      "d3ebc41e45a65637bac6d76c52938aa601ee536d7fa6bb8fd055055d81ef05e3",
      "ce011889bdff3bbf86f6ad90f668ffba32fc432261dca49d95c5208606e251de",
      NTIME,
      "0562021b",
      true,
      TEMPLATE,
    ]),
  );
}

function input(j: Job, n: number): Uint8Array {
  const tail = new Uint8Array(15);
  tail[14] = n;
  return clearedCopy(j.hashInput(new Uint8Array(4).fill(1), new Uint8Array(28), tail));
}

test("interleaved shares of several jobs hash as the reference does; contexts stay capped", () => {
  const cache = new HasherCache("auto", 2);
  const jobs = [job("1", PREV_A), job("2", PREV_B), job("3", PREV_A.replace("3e", "4e"))];
  for (let round = 0; round < 3; round++) {
    for (const [i, j] of jobs.entries()) {
      const x = input(j, round);
      expect(cache.forJob(`k${i}`).hash22(x)).toEqual(reference.hashHeader(x).hash);
      // The uncleared input: the context clears it by the miner rule itself.
      const raw = j.hashInput(new Uint8Array(4).fill(1), new Uint8Array(28), x.subarray(1472));
      expect(cache.forJob(`k${i}`).hashMinerRule!(raw)).toEqual(reference.hashHeader(x).hash);
    }
  }
  expect(cache.size).toBe(2);
  cache.close();
  expect(() => cache.forJob("k0")).toThrow(RangeError);
});

test("the miner rule needs no pre-header hash", () => {
  const cache = new HasherCache("auto");
  expect(() => cache.forJob("x").preHeaderHash(new Uint8Array(1487))).toThrow(RangeError);
  cache.close();
});

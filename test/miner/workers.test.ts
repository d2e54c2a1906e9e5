// The worker threads on their own: two workers on one job find disjoint tails that verify; after
// new work is published they report only for it, within a batch; stop is prompt; a worker that
// cannot open its hasher (or is given a lane count it refuses) fails the start with E_MINER_WORKER.

import { afterAll, describe, expect, test } from "bun:test";
import { bestImpl, Hasher, HASH_BYTES, NONCE_TAIL_BYTES } from "../../src/hash/index.ts";
import { WorkerPool, type WorkerHandlers } from "../../src/miner/workers.ts";
import { seededRandom } from "../../src/pool/random.ts";
import { SyntheticJobSource } from "../../src/pool/synthetic.ts";
import {
  bytesToHex,
  difficultyToTarget,
  hexToBytes,
  meetsTargetLE,
  targetToLE,
} from "../../src/protocol/index.ts";
import { until } from "./helpers.ts";

const hasher = Hasher.open("auto");
afterAll(() => hasher.close());

const source = new SyntheticJobSource(
  { random: seededRandom(9), jobIntervalMs: 5_000, blockIntervalMs: 60_000 },
  0,
);
const XN1 = hexToBytes("2aaaaaa2");
const XN2 = new Uint8Array(28);
const targetLE = targetToLE(difficultyToTarget(0.05)); // ≈ 400 hashes a candidate

type Found = { seq: number; worker: number; tail: Uint8Array };

function recorder() {
  const found: Found[] = [];
  const switched: { seq: number; worker: number }[] = [];
  const failures: Error[] = [];
  const h: WorkerHandlers = {
    found: (seq, worker, tails) => {
      for (let i = 0; i < tails.length; i += NONCE_TAIL_BYTES)
        found.push({ seq, worker, tail: tails.slice(i, i + NONCE_TAIL_BYTES) });
    },
    switched: (seq, worker) => switched.push({ seq, worker }),
    failed: (e) => failures.push(e),
  };
  return { found, switched, failures, h };
}

describe("WorkerPool", () => {
  test("two workers: disjoint, verified candidates; a new job is taken up at once; stop is prompt", async () => {
    const rec = recorder();
    const pool = await WorkerPool.start(bestImpl(), 0, 2, rec.h);
    try {
      const job1 = source.current.job;
      const seq1 = pool.publish({
        header: job1.hashInput(XN1, XN2, new Uint8Array(NONCE_TAIL_BYTES)),
        targetLE,
        extranonce1: XN1,
      });
      await until(
        () =>
          rec.found.filter((f) => f.worker === 1).length >= 50 &&
          rec.found.filter((f) => f.worker === 0).length >= 50,
        "50 candidates from each worker",
      );
      const job2 = source.newBlock(10_000).job;
      const seq2 = pool.publish({
        header: job2.hashInput(XN1, XN2, new Uint8Array(NONCE_TAIL_BYTES)),
        targetLE,
        extranonce1: XN1,
      });
      await until(
        () => rec.switched.filter((s) => s.seq === seq2).length === 2,
        "both workers on the new job",
      );
      const mark = rec.found.length;
      await until(() => rec.found.length >= mark + 20, "candidates for the new job");
      expect(rec.found.slice(mark).every((f) => f.seq === seq2)).toBe(true);

      const hash = new Uint8Array(HASH_BYTES);
      for (const f of rec.found) {
        const job = f.seq === seq1 ? job1 : job2;
        hasher.hashHeaderInto(job.hashInput(XN1, XN2, f.tail), hash);
        expect(meetsTargetLE(hash, targetLE)).toBe(true);
        expect(bytesToHex(f.tail.subarray(0, 5))).toBe(`2aaaaaa20${f.worker}`);
      }
      const tails = rec.found.map((f) => bytesToHex(f.tail));
      expect(new Set(tails).size).toBe(tails.length); // never the same tail twice, across jobs too
      expect(pool.hashes().every((h) => h > 0)).toBe(true);
    } finally {
      const t0 = performance.now();
      await pool.stop();
      expect(performance.now() - t0).toBeLessThan(1_000);
    }
    expect(rec.failures).toEqual([]);
  }, 30_000);

  test("a worker that runs out of its 2^32 counters moves to the next round, never repeating a tail (3 lanes)", async () => {
    const rec = recorder();
    const top = 2 ** 32 - 30_001; // ≈ 20 ms of hashing left in round 5; not a multiple of 3 lanes
    const pool = await WorkerPool.start(bestImpl(), 3, 1, rec.h, { round: 5, counter: top });
    try {
      const job = source.current.job;
      pool.publish({
        header: job.hashInput(XN1, XN2, new Uint8Array(NONCE_TAIL_BYTES)),
        targetLE,
        extranonce1: XN1,
      });
      const round = (f: Found) => f.tail[5]!;
      await until(() => rec.found.filter((f) => round(f) === 6).length >= 20, "20 candidates in round 6");
      const counters = (r: number) =>
        rec.found.filter((f) => round(f) === r).map((f) => new DataView(f.tail.buffer).getUint32(11, true));
      expect(counters(5).length).toBeGreaterThan(20);
      expect(counters(5).every((c) => c >= top)).toBe(true);
      expect(Math.min(...counters(6))).toBeLessThan(100_000); // round 6 starts again at 0
      expect(rec.found.every((f) => round(f) === 5 || round(f) === 6)).toBe(true);
      const hash = new Uint8Array(HASH_BYTES);
      for (const f of rec.found) {
        hasher.hashHeaderInto(job.hashInput(XN1, XN2, f.tail), hash);
        expect(meetsTargetLE(hash, targetLE)).toBe(true);
      }
      expect(new Set(rec.found.map((f) => bytesToHex(f.tail))).size).toBe(rec.found.length);
    } finally {
      await pool.stop();
    }
  }, 30_000);

  test("paused (null work): nothing is hashed until work comes", async () => {
    const rec = recorder();
    const pool = await WorkerPool.start(bestImpl(), 0, 1, rec.h);
    try {
      const seq = pool.publish(null);
      await until(() => rec.switched.some((s) => s.seq === seq), "the pause seen");
      const before = pool.hashes()[0]!;
      await Bun.sleep(50);
      expect(pool.hashes()[0]).toBe(before);
    } finally {
      await pool.stop();
    }
  });

  test("a worker that cannot open its hasher fails the start with E_MINER_WORKER", async () => {
    const missing = process.arch === "arm64" ? "aesni" : "armv8";
    const rec = recorder();
    const err = await WorkerPool.start(missing, 0, 1, rec.h).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe("E_MINER_WORKER");
    expect((err as Error).message).toContain("worker 0");
  });

  test("the lane count reaches each worker's hasher: 9 lanes fail the start with E_LANES", async () => {
    const rec = recorder();
    const err = await WorkerPool.start(bestImpl(), 9, 1, rec.h).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe("E_MINER_WORKER");
    expect((err as Error).message).toMatch(/^worker 0: .*\(E_LANES\)$/);
  });
});

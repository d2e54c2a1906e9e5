// The built-in pool judges real shares exactly as v-nomp does (verus-stratum.md §5): a share found
// with the native scan is accepted, and each way of getting it wrong gets the pool's code and text.

import { describe, expect, test } from "bun:test";
import { lowDifficultyReject } from "../../src/protocol/reject.ts";
import { difficultyToTarget, poolShareDifficulty } from "../../src/protocol/target.ts";
import { errorOf, handshake, harness } from "./harness.ts";
import { findShare, WORKER } from "./shares.ts";

const h = harness();
/** 8192 × 0.001 ≈ 8 hashes per share: every scan finds one at once. */
const EASY = 0.001;

describe("shares", () => {
  test("a share found with the native scan is accepted; the same again is 22 duplicate", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
    });
    expect(await c.request("mining.submit", share.params)).toMatchObject({ result: true, error: null });
    expect(await c.request("mining.submit", share.params)).toMatchObject({
      result: null,
      error: [22, "duplicate share"],
    });
    // A second, different share of the same job is fine.
    const other = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
      start: share.counter + 1,
    });
    expect(await c.request("mining.submit", other.params)).toMatchObject({ result: true });
    const stats = pool.stats();
    expect(stats.accepted).toBe(2);
    expect(stats.rejected).toBe(1);
    expect(stats.rejectedByCode).toEqual({ 22: 1 });
    expect(stats.acceptedDifficulty).toBeCloseTo(2 * EASY);
    expect(stats.hashrate).toBeGreaterThan(0);
    expect(h.logs.filter((l) => l.includes("share accepted"))).toHaveLength(2);
    expect(h.logs.some((l) => l.includes("share rejected: 22 duplicate share"))).toBe(true);
  });

  test("uppercase hex of an accepted share is still a duplicate (the key is lowercased)", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
    });
    expect((await c.request("mining.submit", share.params)).result).toBe(true);
    const upper = [...share.params];
    upper[3] = upper[3]!.toUpperCase();
    expect(errorOf(await c.request("mining.submit", upper))).toEqual([22, "duplicate share"]);
  });

  test("unknown job id → 21", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
    });
    const params = [...share.params];
    params[1] = "deadbeef";
    expect(errorOf(await c.request("mining.submit", params))).toEqual([21, "job not found"]);
  });

  test("an nTime other than the job's → 20 ntime out of range", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
    });
    const params = [...share.params];
    const nTime = new DataView(new Uint8Array(Buffer.from(params[2]!, "hex")).buffer).getUint32(0, true);
    params[2] = Buffer.from(new Uint32Array([nTime + 1]).buffer).toString("hex");
    expect(errorOf(await c.request("mining.submit", params))).toEqual([20, "ntime out of range"]);
  });

  test("a tail without extranonce1 → 20 pool nonce missing", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
      tailPrefix: new Uint8Array(4), // nheqminer-style: no xn1 in the tail
    });
    expect(errorOf(await c.request("mining.submit", share.params))).toEqual([
      20,
      "invalid solution, pool nonce missing",
    ]);
  });

  test("a share above the target → 23 with the pool's share difficulty in the text", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    const miss = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
      miss: true,
    });
    const r = await c.request("mining.submit", miss.params);
    // The pool hashed with its daemon nonce and the pool rule; an honest share hashes the same.
    expect(r.result).toBeNull();
    expect(r.error).toEqual([23, lowDifficultyReject(poolShareDifficulty(miss.hash)).message]);
    expect(pool.stats().rejectedByCode).toEqual({ 23: 1 });
  });

  test("at a hard difficulty a random share → 23 low difficulty share of X", async () => {
    const pool = h.start({ difficulty: 1e6 });
    const c = await h.client(pool);
    const hs = await handshake(c);
    expect(hs.target).toBe(difficultyToTarget(1e6));
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: difficultyToTarget(EASY),
    });
    const r = await c.request("mining.submit", share.params);
    const error = r.error as [number, string];
    expect(error[0]).toBe(23);
    expect(error[1]).toMatch(/^low difficulty share of \d+(\.\d+)?(e-\d+)?$/);
    expect(error[1]).toBe(`low difficulty share of ${poolShareDifficulty(share.hash)}`);
  });

  test("submit before subscribe → 25 [code, msg, null]", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    expect((await c.request("mining.authorize", [WORKER, "x"])).result).toBe(true);
    const r = await c.request("mining.submit", [WORKER, "1", "00000000", "00", "00"]);
    expect(r).toMatchObject({ result: null, error: [25, "not subscribed", null] });
  });

  test("submit before authorize → 24 [code, msg, null]", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    await c.request("mining.subscribe", []);
    const r = await c.request("mining.submit", [WORKER, "1", "00000000", "00", "00"]);
    expect(r).toMatchObject({ result: null, error: [24, "unauthorized worker", null] });
  });

  test("wrong sizes and versions get v-nomp's texts", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
    });
    const [w, job, nTime, xn2, sol] = share.params as [string, string, string, string, string];
    const cases: [string[], unknown[]][] = [
      [
        [w, job, nTime, xn2 + "00", sol],
        [20, "incorrect size of nonce"],
      ],
      [
        [w, job, nTime, xn2, sol.slice(6)],
        [20, "Error: Incorrect size of solution (2688), expected 2694"],
      ],
      [
        [w, job, nTime, xn2, "fd400506" + sol.slice(8)],
        [20, "invalid solution version (06000000), expected 07000000"],
      ],
      [
        [w, job, nTime.slice(2), xn2, sol],
        [20, "incorrect size of ntime"],
      ],
    ];
    for (const [params, error] of cases)
      expect(errorOf(await c.request("mining.submit", params))).toEqual(error);
  });

  test("with an easy block target, an accepted share is a logged block candidate", async () => {
    const pool = h.start({ difficulty: EASY, nBits: 0x2100ffff });
    const c = await h.client(pool);
    const hs = await handshake(c);
    const share = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
    });
    expect((await c.request("mining.submit", share.params)).result).toBe(true);
    expect(pool.stats().blockCandidates).toBe(1);
    expect(h.logs.some((l) => l.includes("BLOCK CANDIDATE"))).toBe(true);
  });

  test("a share for another connection's extranonce1 is rejected (pool nonce missing)", async () => {
    const pool = h.start({ difficulty: EASY });
    const a = await h.client(pool);
    const b = await h.client(pool);
    const ha = await handshake(a);
    await handshake(b);
    const share = findShare(h.hasher(), {
      notify: ha.notify,
      extranonce1: ha.extranonce1,
      target: ha.target,
    });
    expect(errorOf(await b.request("mining.submit", share.params))).toEqual([
      20,
      "invalid solution, pool nonce missing",
    ]);
    expect((await a.request("mining.submit", share.params)).result).toBe(true);
  });
});

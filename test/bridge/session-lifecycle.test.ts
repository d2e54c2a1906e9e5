// The bridge's miner session (src/bridge/session.ts) as a unit, its life: ended for too many invalid
// shares or for flooding (after a slow-down first), closed once with its lease released, and the
// work it is given — leases, clean flags, difficulty bounds and the vardiff retarget that goes out
// with the next job. Fakes in session-harness.ts; verdicts: session.test.ts.

import { describe, expect, test } from "bun:test";
import { LeaseBook } from "../../src/bridge/leases.ts";
import { BRIDGE_REJECTS } from "../../src/bridge/verdict.ts";
import { difficultyToTarget } from "../../src/protocol/target.ts";
import {
  WORKER,
  NEW_POOL_XN1,
  v7Job,
  ZERO_HASH,
  FF_HASH,
  hashOf,
  leaseOf,
  setup,
  ready,
  share,
  judge,
} from "./session-harness.ts";

describe("ending a session", () => {
  test("too many invalid shares: ended with too-many-invalid, its lease released", () => {
    const s = ready({ invalidWindow: { size: 10, minShares: 4, maxInvalidRatio: 0.5 } });
    judge(s, ZERO_HASH);
    judge(s, ZERO_HASH);
    judge(s, FF_HASH);
    expect(s.sink.ends).toEqual([]);
    judge(s, FF_HASH); // 2 of 4
    expect(s.sink.ends.map((e) => e.reason)).toEqual(["too-many-invalid"]);
    expect(s.session.closed).toBe(true);
    expect(s.book.live).toBe(0);
    expect(s.closed).toEqual([s.session]);
    expect(s.up.left).toEqual([s.session]);
  });

  test("over the share rate: refused unhashed, the miner made ×4 harder at once, and ended only if it keeps flooding", () => {
    // 2 shares/s, a burst of 4; no harder target past 4 (the start ×4).
    const s = ready({ maxSharesPerSecond: 2, maxDifficulty: 4 });
    s.up.difficulty = 1000;
    for (let i = 0; i < 4; i++) expect(judge(s, ZERO_HASH)).toMatchObject({ difficulty: 1 });
    const works = s.sink.works.length;
    expect(judge(s, ZERO_HASH)).toBe(BRIDGE_REJECTS.rateLimited.code);
    expect(s.sink.results.at(-1)!.outcome).toEqual({
      status: "rejected",
      reject: BRIDGE_REJECTS.rateLimited,
    });
    expect(s.hashers.calls).toBe(4);
    // The slow-down: the current job again, not clean, at 4× the difficulty.
    expect(s.sink.works.length).toBe(works + 1);
    expect(s.sink.works.at(-1)).toMatchObject({
      jobId: s.job.id,
      difficulty: 4,
      clean: false,
      target: difficultyToTarget(4),
    });
    expect(s.session.difficulty).toBe(4);
    // Still flooding within the second: refused, not ended (shares in flight had the old target).
    for (let i = 0; i < 6; i++) expect(judge(s, ZERO_HASH)).toBe(20);
    expect(s.sink.ends).toEqual([]);
    // A second later, still flooding and nothing harder to give: ended.
    s.clock.now += 1000;
    for (let i = 0; i < 3 && s.sink.ends.length === 0; i++) s.session.submit(share(s), { seq: 100 + i });
    expect(s.sink.ends.map((e) => e.reason)).toEqual(["rate-limited"]);
    expect(s.session.closed).toBe(true);
    expect(s.hashers.calls).toBe(4);
    // Rate-limit refusals never count as invalid shares.
    expect(s.sink.ends.some((e) => e.reason === "too-many-invalid")).toBe(false);
  });

  test("end() tells the sink once and closes; close() releases the lease once, and later calls do nothing", () => {
    const s = ready();
    s.session.end({ reason: "bridge-closing" });
    s.session.end({ reason: "bridge-closing" });
    s.session.close();
    expect(s.sink.ends).toEqual([{ reason: "bridge-closing" }]);
    expect(s.closed).toEqual([s.session]);
    expect(s.up.left).toEqual([s.session]);
    expect(s.book.live).toBe(0);
    expect(s.book.quarantined).toBe(1);
    expect(s.session.lease).toBeNull();
    const works = s.sink.works.length;
    s.session.submit(share(s), 1);
    s.session.deliver(s.job, true);
    s.session.notice("hello");
    s.ledger.flush();
    expect(s.sink.results).toEqual([]);
    expect(s.sink.works.length).toBe(works);
    expect(s.sink.messages).toEqual([]);
  });

  test("closed while a credit is being committed: the share is on disk, the closed sink is not told", async () => {
    const s = ready();
    s.hashers.next = hashOf(1000);
    s.session.submit(share(s), 1);
    s.session.close();
    s.ledger.flush();
    expect(await s.ledger.worker(WORKER)).toMatchObject({ accepted: 1 });
    expect(s.sink.results).toEqual([]);
    expect(s.up.forwards.length).toBe(1); // the pool still gets its share
  });

  test("the bridge closing: shares refused with its own reject, not held against the miner", async () => {
    const s = ready();
    s.clock.closing = true;
    expect(judge(s, ZERO_HASH)).toBe(BRIDGE_REJECTS.closing.code);
    expect(s.sink.results[0]!.outcome).toEqual({ status: "rejected", reject: BRIDGE_REJECTS.closing });
    s.ledger.flush();
    expect(await s.ledger.worker(WORKER)).toBeNull();
  });
});

describe("work", () => {
  test("assign(null) then deliver: no work; a new lease: the next job is clean whatever the pool said", () => {
    const s = setup();
    s.session.authorize(WORKER, "");
    s.session.deliver(s.job, true);
    expect(s.sink.works).toEqual([]); // never leased
    s.session.assign(s.lease);
    s.session.deliver(s.job, false);
    expect(s.sink.works.map((w) => w.clean)).toEqual([true]);
    s.session.deliver(v7Job("ced5"), false);
    expect(s.sink.works.map((w) => w.clean)).toEqual([true, false]);
    s.session.assign(null); // the pool went away
    s.session.deliver(v7Job("ced6"), false);
    expect(s.sink.works.length).toBe(2);
    expect(judge(s, ZERO_HASH)).toBe(21);
    const renewed = leaseOf(new LeaseBook(2), NEW_POOL_XN1, 2);
    s.session.assign(renewed);
    s.session.deliver(v7Job("ced7"), false);
    expect(s.sink.works.at(-1)).toMatchObject({
      jobId: "ced7",
      extranonce1: renewed.extranonce1,
      extranonce2Size: 32 - renewed.extranonce1.length,
      clean: true,
    });
  });

  test("work carries the session's difficulty and its target", () => {
    const s = ready({ startDifficulty: 2 });
    expect(s.sink.works[0]).toMatchObject({
      jobId: s.job.id,
      difficulty: 2,
      target: difficultyToTarget(2),
      extranonce1: s.lease.extranonce1,
    });
  });

  test("the start difficulty is clamped to the bounds, and never above the pool's", () => {
    expect(ready({ startDifficulty: 50, maxDifficulty: 8 }).sink.works[0]!.difficulty).toBe(8);
    expect(ready({ startDifficulty: 0.0001, minDifficulty: 0.01 }).sink.works[0]!.difficulty).toBe(0.01);
    const s = setup({ startDifficulty: 500 });
    s.session.assign(s.lease);
    s.session.deliver(s.job, true); // pool difficulty 100
    expect(s.sink.works[0]!.difficulty).toBe(100);
  });

  test("vardiff: a miner somewhat off is retargeted with the next job, not before; a share at the previous difficulty still counts", () => {
    const s = ready({ retargetSeconds: 10, startDifficulty: 1 });
    // (Changed by issue 10: a miner ×2 off or more is retargeted between jobs, see below.)
    // 2 shares in 12.8 s: one every 6.4 s against 10 s → ×1.5625 (windowed vardiff), not ×2 off.
    for (let i = 0; i < 2; i++) {
      s.clock.now += 6400;
      expect(judge(s, ZERO_HASH)).toMatchObject({ difficulty: 1 });
    }
    expect(s.sink.works.length).toBe(1);
    expect(s.session.difficulty).toBe(1);
    const next = s.up.publish(v7Job("ced5"), false);
    s.session.deliver(next, false);
    expect(s.sink.works.at(-1)).toMatchObject({
      jobId: "ced5",
      difficulty: 1.5625,
      target: difficultyToTarget(1.5625),
      clean: false,
    });
    expect(s.session.difficulty).toBe(1.5625);
    // Found before the miner saw the new target: credited at the old difficulty; below both → 23.
    expect(judge(s, hashOf(1.2), share(s, undefined, "ced5"))).toEqual({ difficulty: 1, forwarded: false });
    expect(judge(s, hashOf(2), share(s, undefined, "ced5"))).toEqual({
      difficulty: 1.5625,
      forwarded: false,
    });
    expect(judge(s, hashOf(0.5), share(s, undefined, "ced5"))).toBe(23);
  });

  test("vardiff between jobs: a miner ×20 too fast is raised ×4 after one share interval, the current job again (not clean)", () => {
    const s = ready({ retargetSeconds: 40, startDifficulty: 1 });
    // 20 shares in 10 s: one every 0.5 s against a target of 10 s → ×4 (the largest step) at once.
    for (let i = 0; i < 19; i++) {
      s.clock.now += 500;
      expect(judge(s, ZERO_HASH)).toMatchObject({ difficulty: 1 });
    }
    expect(s.sink.works.length).toBe(1); // less than one share interval: not judged yet
    s.clock.now += 500;
    expect(judge(s, ZERO_HASH)).toMatchObject({ difficulty: 1 });
    expect(s.sink.works.length).toBe(2);
    expect(s.sink.works.at(-1)).toMatchObject({
      jobId: s.job.id,
      difficulty: 4,
      target: difficultyToTarget(4),
      clean: false,
    });
    expect(s.session.difficulty).toBe(4);
    // Bounded: still ×5 too fast, but no second change within the next share interval.
    for (let i = 0; i < 19; i++) {
      s.clock.now += 500;
      judge(s, ZERO_HASH);
    }
    expect(s.sink.works.length).toBe(2);
    s.clock.now += 500;
    judge(s, ZERO_HASH);
    expect(s.sink.works.length).toBe(3);
    expect(s.session.difficulty).toBe(16);
    // Found before the miner saw the new target: credited at the previous difficulty.
    expect(judge(s, hashOf(5))).toEqual({ difficulty: 4, forwarded: false });
  });

  test("vardiff between jobs: a miner with no share for more than two intervals is eased down by a tick; a miner on target is left alone", () => {
    const s = ready({ retargetSeconds: 40, startDifficulty: 8 });
    s.clock.now += 20_000;
    s.session.tick(s.clock.now); // exactly two intervals: not yet
    expect(s.sink.works.length).toBe(1);
    s.clock.now += 5_000;
    s.session.tick(s.clock.now); // 25 s without a share: 10/25 → ÷2.5
    expect(s.sink.works.length).toBe(2);
    expect(s.sink.works.at(-1)).toMatchObject({ jobId: s.job.id, difficulty: 3.2, clean: false });
    for (let t = 0; t < 19; t++) {
      s.clock.now += 1000;
      s.session.tick(s.clock.now); // the window starts over: no second change within two intervals
    }
    expect(s.sink.works.length).toBe(2);
    // On target (a share every 10 s): never changed between jobs.
    for (let i = 0; i < 30; i++) {
      s.clock.now += 10_000;
      judge(s, ZERO_HASH);
      s.session.tick(s.clock.now);
    }
    expect(s.sink.works.length).toBe(2);
  });

  test("the pool's messages reach the sink", () => {
    const s = ready();
    s.session.notice("maintenance at noon");
    expect(s.sink.messages).toEqual(["maintenance at noon"]);
  });
});

// The miner's accounting: interval rates for the report line, the summary's average over the time
// there was work (pauses excluded), share outcomes and what is still pending.

import { describe, expect, test } from "bun:test";
import { MinerStats } from "../../src/miner/stats.ts";

const CTX = { difficulty: 8, pool: "stratum+tcp://127.0.0.1:3956" };

describe("MinerStats", () => {
  test("report rates: per thread and total since the previous sample", () => {
    const s = new MinerStats(2, 0);
    expect(s.sample(10_000, [15_000_000, 14_000_000])).toEqual({
      total: 2_900_000,
      perThread: [1_500_000, 1_400_000],
    });
    expect(s.sample(12_000, [18_000_000, 16_000_000])).toEqual({
      total: 2_500_000,
      perThread: [1_500_000, 1_000_000],
    });
    expect(s.sample(12_000, [18_000_000, 16_000_000])).toEqual({ total: 0, perThread: [0, 0] }); // no time passed
    expect(() => s.sample(13_000, [1])).toThrow(RangeError);
  });

  test("summary: average over the time with work, not over the wait for a pool", () => {
    const s = new MinerStats(2, 0);
    s.working(1_000, true); // connected after 1 s
    s.working(21_000, false); // 20 s of work, then a disconnect
    s.working(31_000, true); // 10 s without work
    const sum = s.summary(61_000, [45_000_000, 44_000_000], CTX); // 50 s of work in all
    expect(sum.hashrate).toBe(1_780_000);
    expect(sum.threads).toEqual([900_000, 880_000]);
    expect(sum.hashes).toBe(89_000_000);
    expect(sum.uptime_s).toBe(61);
    expect(s.activeMs(61_000)).toBe(50_000);
    expect(sum.difficulty).toBe(8);
    expect(sum.pool).toBe(CTX.pool);
  });

  test("no work yet: rates are 0, not NaN", () => {
    const sum = new MinerStats(1, 0).summary(5_000, [0], { difficulty: null, pool: null });
    expect(sum.hashrate).toBe(0);
    expect(sum.threads).toEqual([0]);
  });

  test("share outcomes and pending", () => {
    const s = new MinerStats(1, 0);
    for (let i = 0; i < 7; i++) s.offered();
    s.result("accepted", true);
    s.result("accepted", true);
    s.result("rejected", true);
    s.result("stale", false); // its job died before it was sent
    s.result("lost", true);
    s.result("dropped", false);
    s.invalid(); // never submitted: not pending
    expect(s.count("accepted")).toBe(2);
    expect(s.pending).toBe(1);
    expect(s.unsent).toBe(2);
    s.switched(12.34);
    s.switched(3);
    const sum = s.summary(1_000, [0], CTX);
    expect(sum).toMatchObject({
      accepted: 2,
      rejected: 1,
      stale: 1,
      lost: 1,
      dropped: 1,
      invalid: 1,
      submitted: 4, // sent: accepted 2, rejected, lost (issue 10: no longer the 7 offered)
      unsent: 2, // the stale one never sent, and the dropped one
      job_switch_ms_max: 12.3,
    });
  });

  test("stale after sending (21) is submitted; stale before sending is not; a dropped share is never sent", () => {
    const s = new MinerStats(1, 0);
    for (let i = 0; i < 3; i++) s.offered();
    s.result("stale", true); // answered "21 job not found"
    s.result("stale", false); // the client never sent it: the job was gone
    expect(() => s.result("dropped", true)).toThrow(RangeError);
    expect(s.summary(1_000, [0], CTX)).toMatchObject({ stale: 2, submitted: 1, unsent: 1 });
    expect(s.pending).toBe(1);
  });

  test("the summary is the documented JSON shape", () => {
    const s = new MinerStats(2, 0);
    s.working(0, true);
    const json = JSON.parse(JSON.stringify(s.summary(60_000, [88_800_000, 88_200_000], CTX)));
    expect(json).toEqual({
      hashrate: 2_950_000,
      accepted: 0,
      rejected: 0,
      stale: 0,
      lost: 0,
      dropped: 0,
      invalid: 0,
      submitted: 0,
      unsent: 0,
      hashes: 177_000_000,
      uptime_s: 60,
      job_switch_ms_max: 0,
      threads: [1_480_000, 1_470_000],
      difficulty: 8,
      pool: CTX.pool,
    });
  });
});

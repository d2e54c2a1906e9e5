// Jobs, blocks and difficulty changes as miners see them from the built-in pool.

import { describe, expect, test } from "bun:test";
import { decodeNotify } from "../../src/protocol/notify.ts";
import {
  difficultyToTarget,
  poolShareDifficulty,
  targetFromHex,
  targetToDifficulty,
} from "../../src/protocol/target.ts";
import type { Message } from "./client.ts";
import { errorOf, handshake, harness } from "./harness.ts";
import { findShare } from "./shares.ts";

const h = harness();
const EASY = 0.001;

/** The set_target line received right before `notify`, or null. */
function targetBefore(received: Message[], notify: Message): Message | null {
  const prev = received[received.indexOf(notify) - 1];
  return prev?.method === "mining.set_target" ? prev : null;
}

describe("jobs and blocks", () => {
  test("a new job of the same block is clean=false and older jobs stay valid", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    pool.newJob();
    const n = decodeNotify(null, (await c.notification("mining.notify")).params!);
    const first = decodeNotify(null, hs.notify);
    expect(n.cleanJobs).toBe(false);
    expect(n.jobId).not.toBe(first.jobId);
    expect(n.prevHash).toBe(first.prevHash);
    expect(n.nTime).not.toBe(first.nTime);
    const old = findShare(h.hasher(), { notify: hs.notify, extranonce1: hs.extranonce1, target: hs.target });
    expect((await c.request("mining.submit", old.params)).result).toBe(true);
  });

  test("a new block is a clean notify and every older job id becomes 21", async () => {
    const pool = h.start({ difficulty: EASY });
    const c = await h.client(pool);
    const hs = await handshake(c);
    pool.newJob();
    const second = (await c.notification("mining.notify")).params!;
    pool.newBlock();
    const blockNotify = (await c.notification("mining.notify")).params!;
    const block = decodeNotify(null, blockNotify);
    expect(block.cleanJobs).toBe(true);
    expect(block.prevHash).not.toBe(decodeNotify(null, hs.notify).prevHash);
    for (const notify of [hs.notify, second]) {
      const stale = findShare(h.hasher(), { notify, extranonce1: hs.extranonce1, target: hs.target });
      expect(errorOf(await c.request("mining.submit", stale.params))).toEqual([21, "job not found"]);
    }
    const fresh = findShare(h.hasher(), {
      notify: blockNotify,
      extranonce1: hs.extranonce1,
      target: hs.target,
    });
    expect((await c.request("mining.submit", fresh.params)).result).toBe(true);
  });

  test("the job timer issues jobs and blocks by itself", async () => {
    const pool = h.start({ jobIntervalSeconds: 0.02, blockIntervalSeconds: 0.1 });
    const c = await h.client(pool);
    await c.request("mining.subscribe", []);
    await c.notification("mining.notify"); // the first, forced clean
    await c.next((m) => m.method === "mining.notify" && m.params![7] === false);
    await c.next((m) => m.method === "mining.notify" && m.params![7] === true);
  });

  test("a job that reached its share cap is replaced at once, and its shares become 21", async () => {
    const pool = h.start({ difficulty: EASY, maxSharesPerJob: 2 });
    const c = await h.client(pool);
    const hs = await handshake(c);
    let start = 0;
    const shares = [0, 1, 2].map(() => {
      const s = findShare(h.hasher(), {
        notify: hs.notify,
        extranonce1: hs.extranonce1,
        target: hs.target,
        start,
      });
      start = s.counter + 1;
      return s;
    });
    expect((await c.request("mining.submit", shares[0]!.params)).result).toBe(true);
    expect((await c.request("mining.submit", shares[1]!.params)).result).toBe(true);
    const next = await c.notification("mining.notify");
    expect(next.params![0]).not.toBe(hs.notify[0]);
    expect(errorOf(await c.request("mining.submit", shares[2]!.params))).toEqual([21, "job not found"]);
    expect(errorOf(await c.request("mining.submit", shares[0]!.params))).toEqual([21, "job not found"]);
  });
});

describe("vardiff", () => {
  test("a miner without shares is eased down: set_target right before the next notify", async () => {
    const pool = h.start({
      difficulty: 0.01,
      vardiff: { targetShareSeconds: 10, retargetSeconds: 30 },
      clock: h.clock,
    });
    const c = await h.client(pool);
    await handshake(c);
    h.advance(31_000);
    pool.newJob();
    const notify = await c.notification("mining.notify");
    const st = targetBefore(c.received, notify);
    expect(st).not.toBeNull();
    const d = targetToDifficulty(targetFromHex((st!.params as string[])[0]!));
    expect(d).toBeLessThan(0.01);
    expect(d).toBeGreaterThanOrEqual(0.01 / 4);
    // No change without a reason: the next notify comes alone.
    pool.newJob();
    const again = await c.notification("mining.notify");
    expect(targetBefore(c.received, again)).toBeNull();
  });

  test("fast shares raise the difficulty; a share meeting only the previous one still counts", async () => {
    const vardiff = { targetShareSeconds: 10, retargetSeconds: 30, minDifficulty: 0.0001, maxDifficulty: 1 };
    const pool = h.start({ difficulty: EASY, vardiff, clock: h.clock });
    const c = await h.client(pool);
    const hs = await handshake(c);
    let start = 0;
    const submit = async () => {
      const s = findShare(h.hasher(), {
        notify: hs.notify,
        extranonce1: hs.extranonce1,
        target: hs.target,
        start,
      });
      start = s.counter + 1;
      expect((await c.request("mining.submit", s.params)).result).toBe(true);
    };
    for (let i = 0; i < 12; i++) await submit();
    h.advance(30_000);
    await submit(); // 13 shares in 30 s: far faster than one per 10 s → ×4
    pool.newJob();
    const notify = await c.notification("mining.notify");
    const st = targetBefore(c.received, notify);
    expect(st).not.toBeNull();
    expect(targetFromHex((st!.params as string[])[0]!)).toBe(difficultyToTarget(EASY * 4));
    expect(h.logs.some((l) => l.includes(`difficulty ${EASY} -> ${EASY * 4}`))).toBe(true);

    // Find a share between the two targets: pool difficulty in [0.001, 0.004 × 0.99).
    let between = null;
    for (let tries = 0; tries < 1000 && between === null; tries++) {
      const s = findShare(h.hasher(), {
        notify: hs.notify,
        extranonce1: hs.extranonce1,
        target: hs.target,
        start,
      });
      start = s.counter + 1;
      const d = poolShareDifficulty(s.hash);
      if (d >= EASY && d / (EASY * 4) < 0.99) between = s;
    }
    expect(between).not.toBeNull();
    expect((await c.request("mining.submit", between!.params)).result).toBe(true);
    // Below the previous difficulty too: rejected.
    const miss = findShare(h.hasher(), {
      notify: hs.notify,
      extranonce1: hs.extranonce1,
      target: hs.target,
      start,
      miss: true,
    });
    expect((errorOf(await c.request("mining.submit", miss.params)) ?? [])[0]).toBe(23);
  });
});

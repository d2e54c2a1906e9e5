// The share desk: a worker's candidate is re-verified with the full 1487-byte input before it is
// submitted, and one that does not verify is counted and logged, never sent. Results are counted
// as the issue asks: "21 job not found" and client-side stale shares are stale, not rejected.

import { afterAll, describe, expect, test } from "bun:test";
import { Hasher } from "../../src/hash/index.ts";
import { tailFor } from "../../src/miner/nonce-space.ts";
import { painter } from "../../src/miner/report.ts";
import { ShareDesk, type ShareToken, type SubmitEvent } from "../../src/miner/shares.ts";
import { MinerStats } from "../../src/miner/stats.ts";
import type { Work } from "../../src/miner/work.ts";
import { seededRandom } from "../../src/pool/random.ts";
import { SyntheticJobSource } from "../../src/pool/synthetic.ts";
import {
  bytesToHex,
  difficultyToTarget,
  hexToBytes,
  rejectOf,
  targetToLE,
} from "../../src/protocol/index.ts";
import type { UpstreamShare } from "../../src/upstream/index.ts";
import { linesLogger } from "../support/log.ts";

const hasher = Hasher.open("auto");
afterAll(() => hasher.close());

const job = new SyntheticJobSource(
  { random: seededRandom(3), jobIntervalMs: 5_000, blockIntervalMs: 60_000 },
  0,
).current.job;
const XN1 = hexToBytes("1ffffff9");
const target = difficultyToTarget(0.01); // ≈ 80 hashes a share

function work(seq = 7): Work {
  return {
    seq,
    epoch: 3,
    job,
    extranonce1: XN1,
    extranonce1Hex: "1ffffff9",
    extranonce2: new Uint8Array(28),
    target,
    targetLE: targetToLE(target),
    difficulty: 0.01,
    publishedAt: 0,
  };
}

/** Counters 0..n−1 of worker 0: those that meet the target, and those that do not. */
function candidates(n = 2000): { good: Uint8Array[]; bad: Uint8Array[] } {
  const w = work();
  const tail = tailFor(XN1, 0, 0, 0);
  hasher.prepareJob(job.hashInput(XN1, w.extranonce2, tail));
  const found = new Set(hasher.scan(tail, 0, n, w.targetLE, n));
  const good: Uint8Array[] = [];
  const bad: Uint8Array[] = [];
  for (let c = 0; c < n; c++) (found.has(c) ? good : bad).push(tailFor(XN1, 0, 0, c));
  return { good, bad };
}

function desk() {
  const stats = new MinerStats(1, 0);
  const sent: { share: UpstreamShare; token: ShareToken }[] = [];
  const lines: string[] = [];
  const seen: SubmitEvent[] = [];
  const d = new ShareDesk({
    hasher,
    stats,
    submit: (share, token) => sent.push({ share, token }),
    log: linesLogger(lines),
    paint: painter(false),
    now: () => 1_000,
    observe: (e) => seen.push(e),
  });
  return { d, stats, sent, lines, seen };
}

const concat = (tails: Uint8Array[]) => {
  const out = new Uint8Array(tails.length * 15);
  tails.forEach((t, i) => out.set(t, i * 15));
  return out;
};

describe("ShareDesk", () => {
  const { good, bad } = candidates();

  test("verified candidates are submitted with the uncleared solution, zero extranonce2 and the work's epoch", () => {
    expect(good.length).toBeGreaterThan(3);
    const { d, stats, sent, seen } = desk();
    d.found(7, 0, work(), concat(good.slice(0, 3)));
    expect(sent).toHaveLength(3);
    const { share, token } = sent[0]!;
    expect(share).toEqual({
      epoch: 3,
      jobId: job.id,
      nTime: job.notify.nTime,
      extranonce2: "00".repeat(28),
      solution: "fd4005" + bytesToHex(job.solution(good[0]!)),
    });
    expect(token.n).toBe(1);
    expect(token.shareDifficulty).toBeGreaterThanOrEqual(0.01);
    expect(stats.pending).toBe(3);
    expect(seen[0]).toMatchObject({
      type: "submit",
      seq: 7,
      worker: 0,
      epoch: 3,
      extranonce1: "1ffffff9",
      tail: bytesToHex(good[0]!),
    });
  });

  test("a candidate that does not verify, or lacks the extranonce1, is counted invalid and never submitted", () => {
    const { d, stats, sent, lines } = desk();
    const noXn1 = Uint8Array.from(good[0]!);
    noXn1[0] = noXn1[0]! ^ 0xff;
    d.found(7, 1, work(), concat([bad[0]!, noXn1, good[0]!]));
    expect(sent.map((s) => s.share.solution.slice(-30))).toEqual([bytesToHex(good[0]!)]);
    expect(stats.summary(1_000, [0], { difficulty: null, pool: null }).invalid).toBe(2);
    expect(lines.filter((l) => l.startsWith("BUG: worker 1 found tail"))).toHaveLength(2);
  });

  test("a candidate for work that fell out of the book is stale", () => {
    const { d, stats, sent, lines } = desk();
    d.found(1, 0, undefined, concat([good[0]!]));
    expect(sent).toEqual([]);
    expect(stats.count("stale")).toBe(1);
    expect(stats.pending).toBe(0);
    // Issue 10: stale and unsent, never submitted.
    expect(stats.summary(1_000, [0], { difficulty: null, pool: null })).toMatchObject({
      stale: 1,
      unsent: 1,
      submitted: 0,
    });
    expect(lines).toEqual(["stale, unsent (work 1 is long gone), job ?"]);
  });

  test("a share the client drops because its job died is stale and unsent, never submitted", () => {
    const { d, stats, sent, lines } = desk();
    d.found(7, 0, work(), concat(good.slice(0, 2)));
    expect(sent).toHaveLength(2);
    expect(stats.pending).toBe(2);
    const base = { type: "result" as const, jobId: job.id, pool: "p" };
    d.result({ ...base, token: sent[0]!.token, outcome: { status: "stale", reason: "job-gone" } });
    const mid = stats.summary(1_000, [0], { difficulty: null, pool: null });
    expect(mid).toMatchObject({ stale: 1, unsent: 1, submitted: 0 });
    d.result({ ...base, token: sent[1]!.token, outcome: { status: "accepted" } });
    const end = stats.summary(1_000, [0], { difficulty: null, pool: null });
    expect(end).toMatchObject({ accepted: 1, stale: 1, unsent: 1, submitted: 1 });
    expect(stats.pending).toBe(0);
    expect(lines[0]).toBe(`stale, unsent (job-gone), job ${job.id}`);
  });

  test("results: accepted, 23 rejected, 21 counted stale, client stale, lost, timeout, dropped", () => {
    const { d, stats, lines } = desk();
    for (let i = 0; i < 7; i++) stats.offered();
    const token: ShareToken = { n: 1, at: 990, shareDifficulty: 2.5 };
    const base = { type: "result" as const, token, jobId: "1a", pool: "p" };
    d.result({ ...base, outcome: { status: "accepted" } });
    d.result({
      ...base,
      outcome: {
        status: "rejected",
        reject: { code: 23, reason: "low-difficulty", message: "low difficulty share of 0.5" },
      },
    });
    d.result({ ...base, outcome: { status: "rejected", reject: rejectOf("job-not-found") } });
    d.result({ ...base, outcome: { status: "stale", reason: "job-gone" } });
    d.result({ ...base, outcome: { status: "lost", reason: "E_CONNECTION_RESET" } });
    d.result({ ...base, outcome: { status: "timeout" } });
    d.result({ ...base, outcome: { status: "dropped", reason: "queue-full" } });
    expect([
      stats.count("accepted"),
      stats.count("rejected"),
      stats.count("stale"),
      stats.count("lost"),
      stats.count("dropped"),
    ]).toEqual([1, 1, 2, 2, 1]);
    expect(stats.pending).toBe(0);
    // Sent: accepted, 23, 21, lost, timeout. Never sent: the client's stale one and the dropped one.
    const sum = stats.summary(1_000, [0], { difficulty: null, pool: null });
    expect([sum.submitted, sum.unsent]).toEqual([5, 2]);
    expect(lines).toEqual([
      "accepted ✓ 1/1, share diff 2.5, job 1a, 10 ms",
      "rejected ✗ 23 low difficulty share of 0.5, job 1a",
      "stale (21 job not found), job 1a",
      "stale, unsent (job-gone), job 1a", // issue 10: was "stale (job-gone), job 1a"
      "lost (E_CONNECTION_RESET), job 1a",
      "lost (no answer in time), job 1a",
      "dropped (queue-full), job 1a",
    ]);
  });
});

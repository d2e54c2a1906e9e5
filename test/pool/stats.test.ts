// Pool counters, the hashrate estimate and the summary line.

import { describe, expect, test } from "bun:test";
import { formatPoolSummary, PoolStats } from "../../src/pool/stats.ts";

describe("PoolStats", () => {
  test("counts and hashrate from credited difficulty (d · 2^13 hashes per share)", () => {
    const s = new PoolStats(0);
    s.opened();
    s.opened();
    s.closed("E_FRAME_TOO_LARGE");
    s.accepted(100_000, 2, false);
    s.accepted(200_000, 1, true);
    s.rejected(23);
    s.rejected(23);
    s.rejected(21);
    const snap = s.snapshot(300_000, { height: 5, jobId: "ab" });
    expect(snap).toMatchObject({
      connections: 1,
      totalConnections: 2,
      accepted: 2,
      rejected: 3,
      blockCandidates: 1,
      acceptedDifficulty: 3,
    });
    expect(snap.rejectedByCode).toEqual({ 21: 1, 23: 2 });
    expect(snap.closes).toEqual({ E_FRAME_TOO_LARGE: 1 });
    expect(snap.hashrate).toBeCloseTo((3 * 8192) / 300);
    expect(formatPoolSummary(snap)).toBe(
      "1 connection, 2 accepted, 3 rejected (21: 1, 23: 2), 1 block candidate, 81.92 H/s, height 5, job ab",
    );
  });

  test("shares older than the window no longer count; young pools divide by their age", () => {
    const s = new PoolStats(0);
    s.accepted(1000, 1, false);
    expect(s.hashrate(10_000)).toBeCloseTo(8192 / 10);
    expect(s.hashrate(1000 + 301_000)).toBe(0);
  });
});

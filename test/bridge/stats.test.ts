// Bridge counters: sessions by transport, verdicts, pool outcomes, the hashrate estimate.

import { expect, test } from "bun:test";
import { BridgeCounters, formatBridgeSummary } from "../../src/bridge/stats.ts";

test("counters and the summary line", () => {
  const c = new BridgeCounters(0);
  c.opened("ws-msgpack");
  c.opened("ws-json");
  c.opened("stratum");
  c.closed("ws-json");
  c.accepted(10_000, 2);
  c.accepted(20_000, 3);
  c.rejected(23);
  c.rejected(23);
  c.rejected(21);
  c.forwarded();
  c.forwarded();
  c.poolResult("accepted");
  c.poolResult("lost");
  const s = c.snapshot(100_000, [
    { url: "stratum+tcp://p:1", state: "authorized", extranonce1: "01020304", difficulty: 1, sessions: 2 },
  ]);
  expect(s).toMatchObject({
    uptimeSeconds: 100,
    sessions: { "ws-msgpack": 1, "ws-json": 0, stratum: 1 },
    shares: { accepted: 2, rejected: 3, rejectedByCode: { "21": 1, "23": 2 }, creditedDifficulty: 5 },
    pool: { submitted: 2, accepted: 1, rejected: 0, stale: 0, lost: 1 },
  });
  // 5 × 8192 hashes over the 100 s since start.
  expect(s.hashrate).toBeCloseTo((5 * 8192) / 100);
  expect(formatBridgeSummary(s)).toBe(
    "2 sessions (ws 1, stratum 1), 409.60 H/s, shares 2 accepted / 3 rejected (21: 1, 23: 2), pool 1 accepted / 0 rejected / 0 stale / 1 lost, upstream authorized ×2",
  );
});

test("the hashrate window slides: old buckets stop counting", () => {
  const c = new BridgeCounters(0);
  c.accepted(5_000, 100);
  expect(c.hashrate(700_000)).toBe(0); // beyond the 600 s window
  c.accepted(695_000, 6);
  expect(c.hashrate(700_000)).toBeCloseTo((6 * 8192) / 600);
});

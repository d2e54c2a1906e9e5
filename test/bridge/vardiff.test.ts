// Per-miner difficulty: vardiff raises a fast miner's difficulty towards ws_share_interval, the
// change reaching it with its next work, and never above the pool's difficulty.

import { afterEach, expect, test } from "bun:test";
import type { BridgeStack } from "../../src/cli/compose.ts";
import { difficultyToTarget } from "../../src/protocol/index.ts";
import { connect, findTail, startBridge, until, verdict, type Miner } from "./harness.ts";

const stacks: BridgeStack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.stop();
});

/** `n` accepted shares on the current work, one per simulated second. */
async function mine(m: Miner, n: number, tick: () => void): Promise<void> {
  const w = m.sink.last;
  let start = 0;
  for (let i = 0; i < n; i++) {
    tick();
    const f = findTail(w, w.target, start);
    start = f.counter + 1;
    const r = await verdict(m, { kind: "tail", jobId: w.jobId, tail: f.tail });
    if (r.outcome.status !== "accepted") throw new Error(`share ${i} rejected: ${JSON.stringify(r.outcome)}`);
  }
}

test("a fast miner is raised ×4 per window with its next work, and capped at the pool's difficulty", async () => {
  let now = 1_000_000;
  const s = startBridge(
    { "bridge.ws_difficulty": 0.001, "bridge.ws_share_interval": 15, "builtin_pool.difficulty": 0.01 },
    { clock: () => now },
  );
  stacks.push(s);
  const b = s.bridge;
  const m = await connect(b);
  // Window = 4 intervals = 60 s; a share a second is 15× too fast: ×4 (the largest step).
  await mine(m, 61, () => (now += 1000));
  expect(m.sink.last.difficulty).toBe(0.001); // not before the next work
  s.builtinPool!.newJob();
  await until(() => m.sink.works.length === 2, "the next work");
  expect(m.sink.last.difficulty).toBeCloseTo(0.004, 12);
  expect(m.sink.last.target).toBe(difficultyToTarget(m.sink.last.difficulty));
  await mine(m, 61, () => (now += 1000));
  s.builtinPool!.newJob();
  await until(() => m.sink.works.length === 3, "the work after");
  expect(m.sink.last.difficulty).toBe(0.01); // ×4 would be 0.016: capped at the pool's
});

test("a miner that stopped finding shares is eased down at the next job", async () => {
  let now = 1_000_000;
  const s = startBridge(
    { "bridge.ws_difficulty": 0.004, "bridge.ws_share_interval": 15 },
    { clock: () => now },
  );
  stacks.push(s);
  const b = s.bridge;
  const m = await connect(b);
  now += 61_000;
  s.builtinPool!.newJob();
  await until(() => m.sink.works.length === 2, "the next work");
  expect(m.sink.last.difficulty).toBe(0.001);
});

// Upstream reconnect: the pool goes away (every connection dropped) and comes back on the same
// port with new extranonce1 values. Every session is re-leased under the new xn1 with a clean job
// at once; shares of the old work are stale; nothing credited is lost or counted twice.

import { afterEach, expect, test } from "bun:test";
import type { ShareResult } from "../../src/bridge/index.ts";
import { startBridgeStack } from "../../src/cli/compose.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { bytesToHex, difficultyToTarget } from "../../src/protocol/index.ts";
import { ADDRESS, connect, findTail, testConfig, until, verdict } from "./harness.ts";
import { silentLogger } from "../../src/util/log.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function pool(port: number, seed: number): PoolServer {
  const p = PoolServer.start({
    port,
    seed,
    difficulty: 0.01,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    summaryIntervalSeconds: null,
    log: silentLogger,
  });
  cleanups.push(() => p.stop());
  return p;
}

const status = (r: ShareResult) =>
  r.outcome.status === "rejected" ? r.outcome.reject.code : r.outcome.status;

test("pool restart: re-leased under the new extranonce1, clean jobs, old shares stale, ledger exact", async () => {
  let first = pool(0, 1);
  const port = first.port;
  const stack = startBridgeStack(
    testConfig({
      "upstream.pools": `stratum+tcp://127.0.0.1:${port}`,
      "upstream.user": `${ADDRESS}.bridge`,
      "bridge.ws_difficulty": 0.001,
    }),
    {
      client: { backoff: { baseMs: 20, maxMs: 100, jitter: 0 } },
      tuning: { summaryIntervalSeconds: null },
    },
  );
  const bridge = stack.bridge;
  cleanups.push(() => stack.stop());
  const a = await connect(bridge, `${ADDRESS}.a`);
  const b = await connect(bridge, `${ADDRESS}.b`, "stratum");
  const oldXn1 = bridge.stats().upstreams[0]!.extranonce1!;
  const oldA = a.sink.last;

  // One share credited and forwarded right before the pool dies; one found on the old work.
  const forwarded = findTail(oldA, difficultyToTarget(0.01));
  const kept = findTail(oldA, oldA.target, forwarded.counter + 1);
  expect(status(await verdict(a, { kind: "tail", jobId: oldA.jobId, tail: forwarded.tail }))).toBe(
    "accepted",
  );
  // Work can arrive while the upstream is still "subscribed": the wait below must see a real disconnect.
  await until(() => bridge.stats().upstreams[0]!.state === "authorized", "the upstream authorized");
  first.stop();
  await until(
    () =>
      bridge.stats().upstreams[0]!.extranonce1 === null ||
      bridge.stats().upstreams[0]!.state !== "authorized",
    "the disconnect",
  );
  // Old work is void at once.
  expect(status(await verdict(a, { kind: "tail", jobId: oldA.jobId, tail: kept.tail }))).toBe(21);

  first = pool(port, 2);
  await until(() => a.sink.works.length === 2 && b.sink.works.length === 2, "work under the new extranonce1");
  const newXn1 = bridge.stats().upstreams[0]!.extranonce1!;
  expect(newXn1).not.toBe(oldXn1);
  for (const m of [a, b]) {
    const w = m.sink.last;
    expect(w.clean).toBe(true);
    expect(bytesToHex(w.extranonce1).startsWith(newXn1)).toBe(true);
  }
  expect(bytesToHex(a.sink.last.extranonce1)).not.toBe(bytesToHex(b.sink.last.extranonce1));
  // The old share is still stale (its job is gone); new work is credited and accepted by the new pool.
  expect(status(await verdict(a, { kind: "tail", jobId: oldA.jobId, tail: kept.tail }))).toBe(21);
  const w = a.sink.last;
  const fresh = findTail(w, difficultyToTarget(0.01));
  expect(a.sink.results.length).toBe(3);
  expect(status(await verdict(a, { kind: "tail", jobId: w.jobId, tail: fresh.tail }))).toBe("accepted");
  await until(() => first.stats().accepted === 1, "the new pool's acceptance");

  // Every forwarded share got exactly one pool outcome; the ledger holds each credit once.
  await until(() => {
    const p = bridge.stats().pool;
    return p.accepted + p.rejected + p.stale + p.lost === p.submitted;
  }, "all pool outcomes");
  const p = bridge.stats().pool;
  expect(p.submitted).toBe(2);
  expect(p.accepted).toBeGreaterThanOrEqual(1);
  const row = bridge.worker(`${ADDRESS}.a`)!;
  expect(row).toMatchObject({ accepted: 2, acceptedDifficulty: 0.002, rejected: 2 });
  expect(row.poolAccepted + row.poolRejected + row.poolStale + row.poolLost).toBe(2);
});

// Upstream reconnect: the pool goes away (every connection dropped) and comes back on the same
// port with new extranonce1 values. Every session is re-leased under the new xn1 with a clean job
// at once; shares of the old work are stale; nothing credited is lost or counted twice.

import { afterEach, expect, test } from "bun:test";
import type { ShareResult } from "../../src/bridge/index.ts";
import { startBridgeStack } from "../../src/cli/compose.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { bytesToHex, difficultyToTarget } from "../../src/protocol/index.ts";
import { ADDRESS, connect, FakeSink, findTail, stratumShare, testConfig, until, verdict } from "./harness.ts";
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
  const row = (await bridge.worker(`${ADDRESS}.a`))!;
  expect(row).toMatchObject({ accepted: 2, acceptedDifficulty: 0.002, rejected: 2 });
  expect(row.poolAccepted + row.poolRejected + row.poolStale + row.poolLost).toBe(2);
});

test("pool lost, no backup: every session paused once (and one opened meanwhile); back: a clean job at each, old Stratum shares stale", async () => {
  let first = pool(0, 1);
  const port = first.port;
  const stack = startBridgeStack(
    testConfig({
      "upstream.pools": `stratum+tcp://127.0.0.1:${port}`,
      "upstream.user": `${ADDRESS}.bridge`,
      "bridge.ws_difficulty": 0.001,
      "bridge.tcp_difficulty": 0.001,
    }),
    {
      client: { backoff: { baseMs: 20, maxMs: 100, jitter: 0 } },
      tuning: { summaryIntervalSeconds: null, tickIntervalMs: null },
    },
  );
  const bridge = stack.bridge;
  cleanups.push(() => stack.stop());
  const ws = await connect(bridge, `${ADDRESS}.a`);
  const tcp = await connect(bridge, `${ADDRESS}.b`, "stratum");
  const old = tcp.sink.last;
  const oldTail = findTail(old, old.target).tail;
  await until(() => bridge.stats().upstreams[0]!.state === "authorized", "the upstream authorized");
  // (A session opened before the upstream had its first job was paused then too.)
  const before = new Map([ws.sink, tcp.sink].map((s) => [s, s.pauses.length]));
  first.stop();
  await until(() => [ws.sink, tcp.sink].every((s) => s.pauses.length > before.get(s)!), "the pause");
  const late = new FakeSink();
  bridge.open({ transport: "ws-msgpack", remote: "127.0.0.1" }, late).authorize(`${ADDRESS}.c`, "x");
  expect(late.pauses).toHaveLength(1);
  // A share while there is no work: stale, never invalid.
  expect(status(await verdict(tcp, stratumShare(old, oldTail)))).toBe(21);

  first = pool(port, 2); // (job ids reused with new work: session-outage.test.ts, with fakes)
  await until(
    () => [ws, tcp].every((m) => m.sink.works.length === 2) && late.works.length === 1,
    "work after the pool came back",
  );
  for (const s of [ws.sink, tcp.sink, late]) {
    expect(s.works.at(-1)!.clean).toBe(true);
    expect(s.pauses.length - (before.get(s) ?? 0)).toBe(1); // once for the outage
    expect(s.ends).toEqual([]);
  }
  expect(status(await verdict(tcp, stratumShare(old, oldTail)))).toBe(21);
  const st = bridge.stats().shares;
  expect(st.rejectedByCode).toEqual({ "21": 2 });
  expect(st.stale).toBe(2);
  const w = tcp.sink.last;
  expect(status(await verdict(tcp, stratumShare(w, findTail(w, w.target).tail)))).toBe("accepted");
});

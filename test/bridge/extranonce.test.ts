// The pool's extranonce1 as the bridge must take it (verus-stratum.md §8): P ‖ lease fits in 7
// bytes (fewer lease bytes if needed, refused if none fits), and a mining.set_extranonce re-leases
// every session with a clean job at once. A scripted pool (test/upstream/fake-pool.ts) plays it.

import { afterEach, expect, test } from "bun:test";
import type { Bridge } from "../../src/bridge/index.ts";
import { startBridgeStack, type BridgeStackOptions } from "../../src/cli/compose.ts";
import { bytesToHex } from "../../src/protocol/index.ts";
import { FakePool } from "../upstream/fake-pool.ts";
import { notifyLine, resultLine } from "../upstream/helpers.ts";
import { ADDRESS, connect, FakeSink, findTail, testConfig, until, verdict } from "./harness.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A pool that hands out `xn1` at subscribe. */
function poolWith(xn1: string): FakePool {
  const pool = new FakePool({
    onLine: (c, _line, msg) => {
      if (msg.method !== "mining.subscribe") return false;
      c.send(resultLine(msg.id, [null, xn1]));
      c.send(notifyLine(`j${c.index}`));
      return true;
    },
  });
  cleanups.push(() => pool.stop());
  return pool;
}

function bridgeOn(
  pool: FakePool,
  logs: string[] = [],
  o: Pick<BridgeStackOptions, "client"> = {},
  pools = pool.url,
): Bridge {
  const st = startBridgeStack(
    testConfig({
      "upstream.pools": pools,
      "upstream.user": `${ADDRESS}.bridge`,
      "bridge.ws_difficulty": 0.001,
    }),
    {
      ...o,
      tuning: { summaryIntervalSeconds: null },
      log: { debug() {}, info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    },
  );
  cleanups.push(() => st.stop());
  return st.bridge;
}

test("a 6-byte pool extranonce1 leaves room for 1 lease byte: leases shrink to fit 7 bytes", async () => {
  const logs: string[] = [];
  const b = bridgeOn(poolWith("1ffffff0aabb"), logs);
  const m = await connect(b);
  expect(bytesToHex(m.sink.last.extranonce1)).toBe("1ffffff0aabb00");
  expect(m.sink.last.extranonce2Size).toBe(25);
  expect(logs.some((l) => /1-byte leases \(reduced from 2/.test(l))).toBe(true);
});

// Changed by issue 10: a pool whose extranonce1 leaves no room is abandoned (the client fails over
// or retries), logged once per pool; miners are no longer refused E_BRIDGE_FULL but wait, paused.
test("a 7-byte pool extranonce1 leaves none: logged once, the pool abandoned and retried, miners kept and paused", async () => {
  const logs: string[] = [];
  const pool = poolWith("1ffffff0aabbcc");
  const b = bridgeOn(pool, logs, { client: { backoff: { baseMs: 10, maxMs: 20, jitter: 0 } } });
  const early = new FakeSink();
  b.open({ transport: "ws-msgpack", remote: "127.0.0.1" }, early);
  await until(() => pool.conns.length >= 3, "the pool abandoned and retried");
  await until(() => pool.conns.slice(0, 2).every((c) => c.closed), "the abandoned connections closed");
  expect(logs.filter((l) => l.startsWith("E_BRIDGE_EXTRANONCE"))).toHaveLength(1);
  const late = new FakeSink();
  b.open({ transport: "stratum", remote: "127.0.0.1" }, late); // not E_BRIDGE_FULL
  expect(early.works).toEqual([]); // no work on a nonce space it cannot split
  expect(early.pauses).toHaveLength(1); // paused once, however often the pool is retried
  expect(late.pauses).toHaveLength(1);
  expect(early.ends).toEqual([]);
  expect(b.stats().upstreams).toHaveLength(1); // no pointless second connection
  const h = b.health();
  expect(h.ok).toBe(false);
});

test("a 7-byte extranonce1 on the primary: failover to the second pool, whose work reaches the waiting miners", async () => {
  const logs: string[] = [];
  const bad = poolWith("1ffffff0aabbcc");
  const good = poolWith("2ffffff0");
  const b = bridgeOn(bad, logs, {}, `${bad.url},${good.url}`);
  const sink = new FakeSink();
  const s = b.open({ transport: "ws-msgpack", remote: "127.0.0.1" }, sink);
  s.authorize(`${ADDRESS}.w1`, "x");
  await until(() => sink.works.length > 0, "work from the second pool", 5000);
  expect(bytesToHex(sink.last.extranonce1).startsWith("2ffffff0")).toBe(true);
  expect(sink.last.clean).toBe(true);
  expect(b.health()).toEqual({ ok: true });
  expect(logs.filter((l) => l.startsWith("E_BRIDGE_EXTRANONCE"))).toHaveLength(1);
});

test("mining.set_extranonce: every session re-leased under the new xn1 with a clean job at once", async () => {
  const pool = new FakePool();
  cleanups.push(() => pool.stop());
  const b = bridgeOn(pool);
  const m1 = await connect(b, `${ADDRESS}.a`);
  const m2 = await connect(b, `${ADDRESS}.b`);
  const before = [m1, m2].map((m) => bytesToHex(m.sink.last.extranonce1));
  const old = m1.sink.last;
  const oldTail = findTail(old, old.target).tail;
  pool.conns[0]!.send(JSON.stringify({ id: null, method: "mining.set_extranonce", params: ["2ffffff1"] }));
  await until(() => m1.sink.works.length === 2 && m2.sink.works.length === 2, "the re-leased work");
  const after = [m1, m2].map((m) => bytesToHex(m.sink.last.extranonce1));
  for (const x of after) expect(x.startsWith("2ffffff1")).toBe(true);
  expect(new Set([...before, ...after]).size).toBe(4);
  for (const m of [m1, m2]) expect(m.sink.last.clean).toBe(true);
  expect(b.stats().upstreams[0]!.extranonce1).toBe("2ffffff1");
  // The same job, rebuilt on the new extranonce1: a share found under the old lease is stale (21),
  // not invalid; one under the new lease is credited.
  expect(m1.sink.last.jobId).toBe(old.jobId);
  const stale = await verdict(m1, { kind: "tail", jobId: old.jobId, tail: oldTail });
  expect(stale.outcome).toMatchObject({ status: "rejected", reject: { code: 21 } });
  const fresh = findTail(m1.sink.last, m1.sink.last.target);
  expect((await verdict(m1, { kind: "tail", jobId: old.jobId, tail: fresh.tail })).outcome.status).toBe(
    "accepted",
  );
});

// The pool's extranonce1 as the bridge must take it (verus-stratum.md §8): P ‖ lease fits in 7
// bytes (fewer lease bytes if needed, refused if none fits), and a mining.set_extranonce re-leases
// every session with a clean job at once. A scripted pool (test/upstream/fake-pool.ts) plays it.

import { afterEach, expect, test } from "bun:test";
import type { Bridge } from "../../src/bridge/index.ts";
import { startBridgeStack } from "../../src/cli/compose.ts";
import { bytesToHex } from "../../src/protocol/index.ts";
import { codeOf } from "../support/errors.ts";
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

function bridgeOn(pool: FakePool, logs: string[] = []): Bridge {
  const st = startBridgeStack(
    testConfig({
      "upstream.pools": pool.url,
      "upstream.user": `${ADDRESS}.bridge`,
      "bridge.ws_difficulty": 0.001,
    }),
    {
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

test("a 7-byte pool extranonce1 leaves none: the pool is refused (logged) and new miners get E_BRIDGE_FULL", async () => {
  const logs: string[] = [];
  const b = bridgeOn(poolWith("1ffffff0aabbcc"), logs);
  const early = new FakeSink();
  b.open({ transport: "ws-msgpack", remote: "127.0.0.1" }, early);
  await until(() => logs.some((l) => l.startsWith("E_BRIDGE_EXTRANONCE")), "the refusal in the log");
  expect(codeOf(() => b.open({ transport: "stratum", remote: "127.0.0.1" }, new FakeSink()))).toBe(
    "E_BRIDGE_FULL",
  );
  expect(early.works).toEqual([]); // no work on a nonce space it cannot split
  expect(b.stats().upstreams).toHaveLength(1); // no pointless second connection
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

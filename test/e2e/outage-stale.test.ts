// outage-stale.test.ts — issue 10 §4, §5: shares for work from before a pool outage are answered
// stale (21), never invalid (20), on the Stratum side as on the WebSocket side — while the pool is
// down (no backup) and after it came back with job ids restarting at the same value (v-nomp), with
// the same or a new extranonce1; /stats counts them as stale; they never end the session (the
// invalid-share ban); WebSocket sessions are told to pause while no work can be had. The core
// alone (startBridgeStack) with recording sinks: the transports add nothing to a verdict.

import { afterEach, expect, test } from "bun:test";
import type { Bridge, MinerTransport, MinerWork } from "../../src/bridge/index.ts";
import { startBridgeStack, type BridgeStack } from "../../src/cli/compose.ts";
import {
  ADDRESS,
  FakeSink,
  findTail,
  stratumShare,
  testConfig,
  verdict,
  type Miner,
} from "../bridge/harness.ts";
import { FaultPool } from "../support/fault-pool.ts";
import { recordingLogger, until, type LogLine } from "./outage-stack.ts";

/** Stale shares sent per session while the pool is down: well past any invalid-share ban. */
const STALE_BURST = 40;

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

function startCore(pool: FaultPool, logs: LogLine[]): BridgeStack {
  const stack = startBridgeStack(
    testConfig({
      "upstream.pools": [pool.url],
      "upstream.user": `${ADDRESS}.bridge`,
      // ≈ 400 hashes a share: a share for another header passes by chance 1 time in 400.
      "bridge.ws_difficulty": 0.05,
      "bridge.tcp_difficulty": 0.05,
      // The burst below is the test's, not a flood: the rate limit is not what is tested here.
      "bridge.max_shares_per_second": 1000,
    }),
    { log: recordingLogger(logs), tuning: { summaryIntervalSeconds: null } },
  );
  cleanup.push(() => stack.stop());
  return stack;
}

async function open(bridge: Bridge, worker: string, transport: MinerTransport): Promise<Miner> {
  const sink = new FakeSink();
  const session = bridge.open({ transport, remote: "127.0.0.1" }, sink);
  cleanup.push(() => session.close());
  const auth = session.authorize(`${ADDRESS}.${worker}`, "x");
  if (!auth.ok) throw new Error(`authorize failed: ${auth.reason}`);
  await until(() => sink.works.length > 0, `${worker}'s first work`);
  return { sink, session };
}

/** A share on `work` meeting its target, as this transport would send it. */
function shareOn(work: MinerWork, transport: MinerTransport, start: number) {
  const { tail } = findTail(work, work.target, start);
  return transport === "stratum"
    ? stratumShare(work, tail)
    : // As the WebSocket transport sends it: with the job it announced under that id (downstream/work.ts).
      { kind: "tail" as const, jobId: work.jobId, tail, announced: work.job };
}

async function scenario(newXn1: string | undefined) {
  const pool = new FaultPool();
  cleanup.push(() => pool.stop());
  const logs: LogLine[] = [];
  const { bridge } = startCore(pool, logs);
  const tcp = await open(bridge, "tcp", "stratum");
  const ws = await open(bridge, "ws", "ws-msgpack");
  const old = { tcp: tcp.sink.last, ws: ws.sink.last };
  expect(old.tcp.jobId).toBe("1");
  // A live share first: the work is good (and the counters move from a known point).
  expect((await verdict(tcp, shareOn(old.tcp, "stratum", 0))).outcome.status).toBe("accepted");
  const before = bridge.stats().shares;

  // Pool down, no backup: shares for the old work are stale; WebSocket sessions are paused.
  const restarted = pool.dieFor(2, newXn1 === undefined ? {} : { extranonce1: newXn1 });
  await until(() => !bridge.health().ok, "health to go false after the loss", 5000);
  const downCodes: string[] = [];
  for (let i = 0; i < STALE_BURST; i++) {
    for (const [m, t] of [
      [tcp, "stratum"],
      [ws, "ws-msgpack"],
    ] as const) {
      const r = await verdict(m, shareOn(t === "stratum" ? old.tcp : old.ws, t, 1000 + i * 5000));
      downCodes.push(`${t} ${r.outcome.status === "rejected" ? r.outcome.reject.code : "accepted"}`);
    }
  }
  const pausedWhileDown = ws.sink.pauses.length;
  await restarted;
  // Back, job ids restarting at "1": fresh work, then a share on the pre-outage job "1" → 21.
  await until(() => tcp.sink.works.length > 1 && ws.sink.works.length > 1, "work after the restart", 10_000);
  expect(tcp.sink.last.jobId).toBe("1");
  // Same id, another job (the new process's prevhash): the old-work shares below are dead work.
  expect(tcp.sink.last.job.notify.prevHash).not.toBe(old.tcp.job.notify.prevHash);
  const afterCodes: string[] = [];
  for (const [m, t] of [
    [tcp, "stratum"],
    [ws, "ws-msgpack"],
  ] as const) {
    const r = await verdict(m, shareOn(t === "stratum" ? old.tcp : old.ws, t, 900_000));
    afterCodes.push(
      `${t} ${r.outcome.status === "rejected" ? `${r.outcome.reject.code} ${r.outcome.reject.message}` : "accepted"}`,
    );
  }
  // And the new work is good.
  const fresh = await verdict(tcp, shareOn(tcp.sink.last, "stratum", 0));
  const after = bridge.stats().shares;
  return { downCodes, afterCodes, fresh, before, after, pausedWhileDown, tcp, ws, logs };
}

for (const [name, xn1] of [
  ["the same extranonce1", undefined],
  ["a new extranonce1", "2bbbbbb0"],
] as const) {
  test(`pool down then back with ${name} and job ids from "1" again: old-work shares are 21 (stale), never 20; /stats stale; no ban; WS paused`, async () => {
    const r = await scenario(xn1);
    expect([...new Set(r.downCodes)].sort()).toEqual(["stratum 21", "ws-msgpack 21"]);
    expect(r.afterCodes.map((c) => c.split(" ").slice(0, 2).join(" "))).toEqual([
      "stratum 21",
      "ws-msgpack 21",
    ]);
    expect(r.fresh.outcome.status).toBe("accepted");
    const stale = r.after.stale - r.before.stale;
    expect(stale).toBe(2 * STALE_BURST + 2);
    expect(r.after.rejectedByCode["20"] ?? 0).toBe(r.before.rejectedByCode["20"] ?? 0);
    // Stale shares are not the miner's fault: nobody was ended for them.
    expect(r.tcp.sink.ends).toEqual([]);
    expect(r.ws.sink.ends).toEqual([]);
    // No work could be had while the pool was down: the core told the miners to pause.
    expect(r.pausedWhileDown).toBeGreaterThanOrEqual(1);
  }, 60_000);
}

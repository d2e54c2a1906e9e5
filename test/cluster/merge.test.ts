// merge.test.ts — the box's numbers from its workers' (src/cluster/merge.ts), the restart delay,
// and the worker settings (count, role from the environment, the command that starts a worker).

import { describe, expect, test } from "bun:test";
import type { BridgeStats } from "../../src/bridge/contract.ts";
import {
  addUp,
  CLUSTER_ENV,
  DEFAULT_RESTART,
  mergeBox,
  restartDelay,
  selfCommand,
  WORKER_ENV,
  workerCount,
  workerRole,
  type ClusterPlan,
  type WorkerEntry,
  type WorkerSnapshot,
} from "../../src/cluster/index.ts";
import { renderMetrics } from "../../src/downstream/metrics.ts";

function stats(n: number, extranonce1: string): BridgeStats {
  return {
    uptimeSeconds: 10 * n,
    sessions: { "ws-msgpack": n, "ws-json": 2 * n, stratum: 3 * n },
    shares: {
      accepted: 10 * n,
      rejected: n,
      rejectedByCode: { "21": n },
      stale: n,
      creditedDifficulty: 0.5 * n,
    },
    pool: { submitted: n, accepted: n, rejected: 0, stale: 0, lost: 0 },
    upstreamErrors: n === 1 ? { E_X: 1 } : {},
    hashrate: 100 * n,
    upstreams: [{ url: "u", state: "authorized", extranonce1, difficulty: 1000, sessions: 6 * n }],
  };
}

function snap(index: number, n: number, ok = true): WorkerSnapshot {
  return {
    index,
    pid: 100 + index,
    at: 0,
    stats: stats(n, `0${index}`),
    downstream: {
      open: { "ws-msgpack": n, "ws-json": 2 * n, "ws-pending": 0, stratum: 3 * n },
      accepted: { ws: 3 * n, stratum: 3 * n },
      refused: { E_TOO_MANY_CONNECTIONS: n },
      closed: {},
      badFrames: n,
      sockets: { open: 6 * n, pending: 0, evicted: 0, max: 10_000 },
    },
    health: ok ? { ok: true } : { ok: false, reason: "no job yet" },
  };
}

function entry(s: WorkerSnapshot | null, index: number, state: WorkerEntry["state"] = "up"): WorkerEntry {
  return { index, pid: s?.pid ?? null, state, restarts: 0, lastExit: null, snapshot: s };
}

describe("addUp", () => {
  test("numbers add, records by key, lists concatenate, booleans OR, text keeps the first", () => {
    expect(
      addUp(
        { a: 1, r: { x: 1 }, l: [1], b: false, s: "one", n: null },
        { a: 2, r: { x: 2, y: 3 }, l: [2], b: true, s: "two", n: 4 },
      ),
    ).toEqual({
      a: 3,
      r: { x: 3, y: 3 },
      l: [1, 2],
      b: true,
      s: "one",
      n: 4,
    });
  });
});

describe("mergeBox", () => {
  test("the box is the sum of its workers; this process's live numbers replace its entry", () => {
    const self = snap(0, 1);
    const stale = snap(0, 99); // the supervisor's older copy of this worker: ignored
    const box = mergeBox(self, [entry(stale, 0), entry(snap(1, 2), 1)]);
    expect(box.stats.sessions).toEqual({ "ws-msgpack": 3, "ws-json": 6, stratum: 9 });
    expect(box.stats.shares).toEqual({
      accepted: 30,
      rejected: 3,
      rejectedByCode: { "21": 3 },
      stale: 3,
      creditedDifficulty: 1.5,
    });
    expect(box.stats.pool.submitted).toBe(3);
    expect(box.stats.upstreamErrors).toEqual({ E_X: 1 });
    expect(box.stats.hashrate).toBe(300);
    expect(box.stats.uptimeSeconds).toBe(20); // the longest
    expect(box.stats.upstreams.map((u) => u.extranonce1)).toEqual(["00", "01"]);
    expect(box.upstreamWorkers).toEqual([0, 1]);
    expect(box.downstream.sockets).toEqual({ open: 18, pending: 0, evicted: 0, max: 20_000 });
    expect(box.downstream.refused).toEqual({ E_TOO_MANY_CONNECTIONS: 3 });
    expect(box.workers.map((w) => [w.index, w.pid, w.state, w.sessions, w.ok])).toEqual([
      [0, 100, "up", 6, true],
      [1, 101, "up", 12, true],
    ]);
    expect(box.health).toEqual({ ok: true });
  });

  test("a worker that is down counts in the list only; ok while one serves with work", () => {
    const box = mergeBox(snap(1, 1), [
      { index: 0, pid: null, state: "down", restarts: 2, lastExit: "signal SIGKILL", snapshot: null },
      entry(null, 1),
    ]);
    expect(box.stats.sessions).toEqual({ "ws-msgpack": 1, "ws-json": 2, stratum: 3 });
    expect(box.workers[0]).toMatchObject({
      index: 0,
      pid: null,
      state: "down",
      restarts: 2,
      lastExit: "signal SIGKILL",
      ok: false,
    });
    expect(box.health.ok).toBe(true);
  });

  test("not ok when no serving worker has work, with a reason naming one", () => {
    const box = mergeBox(snap(0, 1, false), [entry(snap(1, 1, false), 1)]);
    expect(box.health.ok).toBe(false);
    expect(box.health.ok === false && box.health.reason).toContain("worker 0: no job yet");
  });

  test("degraded when a serving worker says so", () => {
    const degraded = {
      ...snap(1, 1),
      health: { ok: true, degraded: "ledger failing" } as WorkerSnapshot["health"],
    };
    expect(mergeBox(snap(0, 1), [entry(degraded, 1)]).health as unknown).toEqual({
      ok: true,
      degraded: "worker 1: ledger failing",
    });
  });

  test("/metrics of the box: sums, the worker count and per-worker series", () => {
    const box = mergeBox(snap(0, 1), [entry(snap(1, 2), 1), { ...entry(null, 2), state: "starting" }]);
    const text = renderMetrics(box.stats, box.downstream, box);
    expect(text).toContain('vbridge_shares_total{verdict="accepted"} 30\n');
    expect(text).toContain("vbridge_workers 2\n");
    expect(text).toContain('vbridge_worker_sessions{worker="1"} 12\n');
    expect(text).toContain('vbridge_worker_up{worker="2"} 0\n');
    expect(text).toContain('vbridge_upstream_sessions{upstream="1",worker="1"} 12\n');
  });

  test("without a box, /metrics is as before (no worker series)", () => {
    const s = snap(0, 1);
    const text = renderMetrics(s.stats, s.downstream);
    expect(text).not.toContain("vbridge_worker");
    expect(text).toContain('vbridge_upstream_sessions{upstream="0"} 6\n');
  });
});

describe("restartDelay", () => {
  const p = DEFAULT_RESTART;
  test("0.5 s, doubling while it keeps crashing, at most 30 s; a minute's run starts over", () => {
    let d = 0;
    const seen: number[] = [];
    for (let i = 0; i < 9; i++) seen.push((d = restartDelay(p, d, 1000)));
    expect(seen).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(restartDelay(p, 30_000, 60_000)).toBe(500);
  });
});

describe("settings", () => {
  const plan: ClusterPlan = {
    workers: 2,
    port: 8080,
    stratumPort: 0,
    stratumTlsPort: 0,
    pool: null,
    startedAt: 1,
  };

  test("workers: a count, or auto = the cores", () => {
    expect(workerCount(3)).toBe(3);
    expect(workerCount("auto", 8)).toBe(8);
    expect(workerCount("auto", 1000)).toBe(256);
  });

  test("a worker's role from its environment; none without VBRIDGE_WORKER; a garbled one is E_CLUSTER_ENV", () => {
    expect(workerRole({})).toBeNull();
    expect(workerRole({ [WORKER_ENV]: "1", [CLUSTER_ENV]: JSON.stringify(plan) })).toEqual({
      index: 1,
      plan,
    });
    for (const env of [
      { [WORKER_ENV]: "2", [CLUSTER_ENV]: JSON.stringify(plan) },
      { [WORKER_ENV]: "0", [CLUSTER_ENV]: "{" },
      { [WORKER_ENV]: "x", [CLUSTER_ENV]: JSON.stringify(plan) },
    ])
      expect(() => workerRole(env)).toThrow(expect.objectContaining({ code: "E_CLUSTER_ENV" }));
  });

  test("the worker's command: bun with the script, or the compiled executable alone", () => {
    expect(selfCommand("/usr/bin/bun", ["bun", "/r/src/main.ts", "bridge", "--workers", "2"], [])).toEqual([
      "/usr/bin/bun",
      "/r/src/main.ts",
      "bridge",
      "--workers",
      "2",
    ]);
    expect(selfCommand("/usr/local/bin/vbridge", ["bun", "/$bunfs/root/vbridge", "bridge"], [])).toEqual([
      "/usr/local/bin/vbridge",
      "bridge",
    ]);
  });
});

// The upstream session (src/bridge/upstream.ts) driven by a pool client's events, played by the
// test (the client itself never connects): setUrgent follows its membership, sessions are paused
// once when work is void and re-leased in-band (never closed) under a new extranonce1, upstream
// warnings are logged and counted by code, and a forwarded share's line names the pool's difficulty.

import { afterEach, expect, test } from "bun:test";
import type { ForwardToken, Lease, LeasedSession, SessionEnd } from "../../src/bridge/contract.ts";
import type { BridgeEvent } from "../../src/events/index.ts";
import { Ledger } from "../../src/ledger/index.ts";
import { BridgeCounters } from "../../src/bridge/stats.ts";
import { UpstreamSlot } from "../../src/bridge/upstream.ts";
import { PoolClient, UpstreamError, type UpstreamEvent } from "../../src/upstream/index.ts";
import { linesLogger } from "../support/log.ts";
import { v7Job } from "./session-harness.ts";

const POOL = "stratum+tcp://127.0.0.1:9";

const restore: (() => void)[] = [];
afterEach(() => {
  for (const r of restore.splice(0)) r();
});

class Member implements LeasedSession {
  readonly leases: (Lease | null)[] = [];
  readonly jobs: { id: string; clean: boolean }[] = [];
  readonly idles: string[] = [];
  readonly ends: SessionEnd[] = [];
  constructor(readonly id: number) {}
  assign(lease: Lease | null): void {
    this.leases.push(lease);
  }
  deliver(job: { id: string }, clean: boolean): void {
    this.jobs.push({ id: job.id, clean });
  }
  notice(): void {}
  idle(reason: string): void {
    this.idles.push(reason);
  }
  end(e: SessionEnd): void {
    this.ends.push(e);
  }
}

function slot() {
  const urgent: boolean[] = [];
  const original = PoolClient.prototype.setUrgent;
  PoolClient.prototype.setUrgent = function (u: boolean) {
    urgent.push(u);
    original.call(this, u);
  };
  restore.push(() => (PoolClient.prototype.setUrgent = original));
  const logs: string[] = [];
  const stats = new BridgeCounters(0);
  const ledger = Ledger.open("");
  const events: BridgeEvent[] = [];
  restore.push(() => void ledger.close());
  const s = new UpstreamSlot(
    1,
    { pools: [POOL], user: "R.bridge" },
    {
      log: linesLogger(logs),
      ledger,
      events: { publish: (e) => events.push(e) },
      stats,
      now: () => 0,
      leaseBytes: 2,
      sessionCap: 65536,
      maxJobs: 8,
      idle: () => {},
    },
  );
  const play = (e: UpstreamEvent<ForwardToken> | { type: string; [k: string]: unknown }) =>
    s.handle(e as UpstreamEvent<ForwardToken>);
  return { s, play, urgent, logs, stats, events };
}

const subscribed = (play: ReturnType<typeof slot>["play"], epoch: number, xn1: string) => {
  play({ type: "state", state: "subscribed", pool: POOL });
  play({ type: "extranonce", epoch, extranonce1: xn1, extranonce2Size: 28, pool: POOL });
  play({ type: "target", epoch, target: 0n, difficulty: 64, source: "set_difficulty" });
  play({ type: "job", epoch, job: v7Job("a1"), clean: true, extranonce1: xn1 });
};

test("setUrgent(members > 0) whenever the membership changes", () => {
  const { s, urgent } = slot();
  const a = new Member(1);
  const b = new Member(2);
  s.join(a);
  s.join(b);
  s.leave(a);
  s.leave(b);
  expect(urgent).toEqual([true, true, true, false]);
});

test("no work: every session paused once; a new extranonce1 re-leases every session in-band, none ended", () => {
  const { s, play } = slot();
  const early = new Member(1);
  s.join(early); // before any work: paused at once
  expect(early.idles).toHaveLength(1);
  subscribed(play, 1, "1ffffff0");
  expect(s.serving).toBe(true);
  const members = [early, ...[2, 3, 4].map((i) => new Member(i))];
  for (const m of members.slice(1)) s.join(m);
  expect(members.every((m) => m.jobs.at(-1)?.clean === true)).toBe(true);
  play({ type: "invalidate", epoch: 1, reason: "E_CONNECTION_CLOSED" });
  expect(s.serving).toBe(false);
  expect(s.trouble).not.toBeNull();
  for (const m of members) {
    expect(m.leases.at(-1)).toBeNull();
    expect(m.idles.length).toBe(m === early ? 2 : 1);
  }
  const late = new Member(5);
  s.join(late); // opened while there is no work: paused too
  expect(late.idles).toHaveLength(1);
  subscribed(play, 2, "2ffffff1");
  for (const m of [...members, late]) {
    expect(m.leases.at(-1)!.extranonce1Hex.startsWith("2ffffff1")).toBe(true);
    expect(m.jobs.at(-1)).toEqual({ id: "a1", clean: true });
    expect(m.ends).toEqual([]);
  }
  expect(new Set([...members, late].map((m) => m.leases.at(-1)!.extranonce1Hex)).size).toBe(5);
  // mining.set_extranonce without a reconnect: the same.
  play({ type: "invalidate", epoch: 2, reason: "extranonce-changed" });
  subscribed(play, 3, "3ffffff2");
  for (const m of [...members, late]) {
    expect(m.leases.at(-1)!.extranonce1Hex.startsWith("3ffffff2")).toBe(true);
    expect(m.ends).toEqual([]);
  }
});

test("upstream warnings: logged and counted per code in the stats", () => {
  const { play, logs, stats } = slot();
  const warn = (code: string) =>
    play({
      type: "warning",
      pool: POOL,
      error: new UpstreamError(code as "E_POOL_DIFFICULTY", "difficulty 1e300"),
    });
  warn("E_POOL_DIFFICULTY");
  warn("E_POOL_DIFFICULTY");
  warn("E_POOL_TARGET");
  expect(stats.snapshot(0, []).upstreamErrors).toEqual({ E_POOL_DIFFICULTY: 2, E_POOL_TARGET: 1 });
  expect(logs.filter((l) => l.includes("E_POOL_DIFFICULTY"))).toHaveLength(2);
});

test("a forwarded share's line names the pool difficulty it went at, and the miner's, labelled", () => {
  const { s, play, logs } = slot();
  const m = new Member(1);
  s.join(m);
  subscribed(play, 1, "1ffffff0");
  // The client is not connected: the share is answered stale at once, through the same path.
  s.forward(
    { epoch: 1, jobId: "a1", nTime: "00000000", extranonce2: "00", solution: "" },
    {
      worker: "R.w",
      session: 1,
      jobId: "a1",
      difficulty: 0.5,
    },
  );
  const line = logs.find((l) => l.includes("share of R.w"));
  expect(line).toContain("pool difficulty 64");
  expect(line).toContain("miner difficulty 0.5");
});

test("events: serving at the first job, lost on a disconnect, failover to another pool; credentials left out", () => {
  const { play, events } = slot();
  const other = "stratum+tcp://user:secret@backup.example:3333";
  play({ type: "state", state: "connected", pool: POOL });
  subscribed(play, 1, "1ffffff0");
  play({
    type: "state",
    state: "disconnected",
    pool: POOL,
    error: { code: "E_POOL_CLOSED", message: "the pool closed the connection" },
  });
  play({ type: "state", state: "connected", pool: other });
  const seen = events.map((e) => (e.type === "upstream" ? [e.state, e.pool, e.detail ?? null] : e.type));
  expect(seen).toEqual([
    ["connected", POOL, null],
    ["serving", POOL, null],
    ["lost", POOL, "E_POOL_CLOSED the pool closed the connection"],
    ["failover", "stratum+tcp://backup.example:3333", `from ${POOL}`],
  ]);
});

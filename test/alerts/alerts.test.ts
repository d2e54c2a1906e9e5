// Alerts against a real HTTP receiver: each kind arrives with the documented body (docs/alerts.md),
// lasting conditions alert once per episode, the per-kind rate limit holds (recoveries excepted),
// and the option checks answer E_ALERTS_CONFIG.

import { afterEach, expect, test } from "bun:test";
import { Alerts, type Alert } from "../../src/alerts/index.ts";
import type { BridgeEvent } from "../../src/events/schema.ts";
import { silentLogger } from "../../src/util/log.ts";
import { codeOf } from "../support/errors.ts";
import { bench, DEFAULTS, Sink, until } from "./harness.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function sink(): Sink {
  const s = new Sink();
  cleanups.push(() => s.stop());
  return s;
}

function open(o: Parameters<typeof bench>[0]) {
  const b = bench(o);
  cleanups.push(() => b.alerts.close());
  return b;
}

const share = (verdict: "accepted" | "rejected", at: number, code = 23): BridgeEvent =>
  verdict === "accepted"
    ? {
        type: "share",
        worker: "W.a",
        session: 1,
        transport: "stratum",
        stale: false,
        forwarded: false,
        verdict,
        difficulty: 1,
        at,
      }
    : {
        type: "share",
        worker: "W.a",
        session: 1,
        transport: "stratum",
        stale: code === 21,
        forwarded: false,
        verdict,
        code,
        reason: "low difficulty share",
        at,
      };

/** The body's common shape, as docs/alerts.md states it. */
function expectBody(a: Alert, kind: string, severity: string): void {
  expect(Object.keys(a).sort()).toEqual(["alert", "at", "bridge", "details", "message", "severity"]);
  expect(a.alert).toBe(kind as Alert["alert"]);
  expect(a.severity).toBe(severity as Alert["severity"]);
  expect(a.bridge).toBe(DEFAULTS.bridge);
  expect(typeof a.at).toBe("number");
  expect(a.message).not.toMatch(/[\r\n]/);
  expect(a.message.length).toBeGreaterThan(0);
  expect(typeof a.details).toBe("object");
}

test("every kind reaches the webhook as JSON with the documented body", async () => {
  const s = sink();
  const { alerts, clock, state } = open({ webhook: s.url, poolDownSeconds: 60, noSharesMinutes: 10 });

  // pool_down: down for more than 60 s, then back.
  state.ok = false;
  alerts.check(state);
  clock.now += 61_000;
  alerts.check(state);
  state.ok = true;
  clock.now += 5_000;
  alerts.check(state);

  // failover and block_found: from events.
  alerts.publish({
    type: "upstream",
    upstream: 0,
    state: "failover",
    pool: "stratum+tcp://b.example:3956",
    detail: "from stratum+tcp://a.example:3956",
  });
  alerts.publish({ type: "block", worker: "RAddr.rig1", height: 1234, hash: "00ab", result: "accepted" });

  // reject_rate: 15 of 25 rejected in the window.
  for (let i = 0; i < 10; i++) alerts.publish(share("accepted", clock.now - 1000));
  for (let i = 0; i < 15; i++) alerts.publish(share("rejected", clock.now - 1000, i < 5 ? 21 : 23));
  alerts.check(state);

  // no_shares: a miner connected, nothing accepted for 10 minutes.
  state.sessions = 2;
  alerts.check(state);
  clock.now += 10 * 60_000;
  alerts.check(state);

  await until(() => s.received.length === 6, "six alerts");
  expect(s.kinds()).toEqual([
    "pool_down",
    "pool_down",
    "failover",
    "block_found",
    "reject_rate",
    "no_shares",
  ]);
  for (const r of s.received) {
    expect(r.contentType).toBe("application/json");
    expect(r.path).toBe("/hook");
  }
  const [down, up, failover, block, rejects, quiet] = s.received.map((r) => r.body) as Alert[];

  expectBody(down!, "pool_down", "critical");
  expect(down!.details).toMatchObject({ state: "down", downSeconds: 61 });
  expect(down!.details.upstreams).toEqual([
    { url: "stratum+tcp://pool.example:3956", state: "disconnected" },
  ]);
  // No pool password anywhere in what leaves the bridge.
  expect(JSON.stringify(s.received)).not.toContain("hunter2");

  expectBody(up!, "pool_down", "info");
  expect(up!.details).toMatchObject({ state: "recovered", downSeconds: 66 });

  expectBody(failover!, "failover", "warning");
  expect(failover!.details).toEqual({
    upstream: 0,
    pool: "stratum+tcp://b.example:3956",
    detail: "from stratum+tcp://a.example:3956",
  });

  expectBody(block!, "block_found", "info");
  expect(block!.details).toEqual({ worker: "RAddr.rig1", height: 1234, hash: "00ab", result: "accepted" });

  expectBody(rejects!, "reject_rate", "warning");
  expect(rejects!.details).toEqual({
    percent: 60,
    threshold: 10,
    windowSeconds: 300,
    accepted: 10,
    rejected: 15,
    stale: 5,
    byCode: { "21": 5, "23": 10 },
  });

  expectBody(quiet!, "no_shares", "warning");
  expect(quiet!.details).toMatchObject({ sessions: 2, quietSeconds: 600, lastShareAt: 1_700_000_065_000 });

  expect(alerts.recent().map((a) => a.alert)).toEqual(s.kinds() as Alert["alert"][]);
  await until(() => alerts.counters().published === 6, "every POST answered");
  expect(alerts.counters()).toMatchObject({
    raised: 6,
    published: 6,
    failed: 0,
    dropped: 0,
    suppressed: 0,
    connected: true,
  });
});

test("lasting conditions: pool_down waits its seconds; reject_rate needs 20 shares; no_shares needs miners", async () => {
  const s = sink();
  const { alerts, clock, state } = open({ webhook: s.url, poolDownSeconds: 60, minIntervalSeconds: 0 });
  state.ok = false;
  alerts.check(state);
  clock.now += 60_000; // exactly 60 s: not yet "more than"
  alerts.check(state);
  // Back before the threshold: no alert and no recovery.
  state.ok = true;
  alerts.check(state);
  // 19 rejected shares: below the minimum sample.
  for (let i = 0; i < 19; i++) alerts.publish(share("rejected", clock.now));
  alerts.check(state);
  // 20 shares at 5 % rejected: under 10 %.
  for (let i = 0; i < 380; i++) alerts.publish(share("accepted", clock.now));
  alerts.check(state);
  // No miners for an hour: no no_shares.
  clock.now += 3_600_000;
  alerts.check(state);
  // A miner whose shares keep coming (stats count them): still quiet.
  state.sessions = 1;
  for (let i = 0; i < 12; i++) {
    clock.now += 60_000;
    state.accepted++;
    alerts.check(state);
  }
  // Down for good: one alert, however many checks.
  state.ok = false;
  for (let i = 0; i < 10; i++) {
    alerts.check(state);
    clock.now += 30_000;
  }
  await until(() => s.received.length >= 1, "pool_down");
  await Bun.sleep(50);
  expect(s.kinds()).toEqual(["pool_down"]);
});

test("rate limit: one alert per kind per min_interval; recoveries are not held back", async () => {
  const s = sink();
  const { alerts, clock, state } = open({ webhook: s.url, minIntervalSeconds: 300, poolDownSeconds: 1 });
  const failover = (n: number): BridgeEvent => ({
    type: "upstream",
    upstream: 0,
    state: "failover",
    pool: `stratum+tcp://p${n}.example:1`,
  });
  for (let i = 0; i < 5; i++) alerts.publish(failover(i));
  clock.now += 299_000;
  alerts.publish(failover(5));
  clock.now += 1_000;
  alerts.publish(failover(6)); // 300 s after the first: allowed

  // A flapping pool: down (alerted), up (recovery), down again at once (held back), up (nothing
  // to recover: the second outage was never announced), then down past the interval (alerted).
  const flap = (ok: boolean, advanceMs: number) => {
    state.ok = ok;
    alerts.check(state);
    clock.now += advanceMs;
  };
  flap(false, 2_000);
  flap(false, 0); // down alert
  flap(true, 0); // recovered
  flap(false, 2_000);
  flap(false, 0); // held back
  flap(true, 0); // not announced: no recovery
  flap(false, 2_000);
  flap(false, 400_000); // held back (same episode as the line before)
  flap(false, 0); // the interval has passed: the same outage is announced now
  flap(true, 0); // recovered

  await until(() => s.received.length === 6, "six alerts");
  await Bun.sleep(50);
  expect(
    s.received.map((r) => `${r.body.alert}:${String(r.body.details.state ?? r.body.details.pool)}`),
  ).toEqual([
    "failover:stratum+tcp://p0.example:1",
    "failover:stratum+tcp://p6.example:1",
    "pool_down:down",
    "pool_down:recovered",
    "pool_down:down",
    "pool_down:recovered",
  ]);
  // 5 failovers held back, two pool_down episodes held back once each.
  expect(alerts.counters()).toMatchObject({ raised: 6, suppressed: 7 });
  expect(alerts.counters().byKind).toEqual({
    pool_down: 4,
    failover: 2,
    reject_rate: 0,
    no_shares: 0,
    block_found: 0,
  });
});

test("block_found off: blocks raise nothing; recent() keeps the last 20", async () => {
  const { alerts, clock } = open({ webhook: "", blockFound: false, minIntervalSeconds: 0 });
  alerts.publish({ type: "block", worker: "W", height: null, hash: "ff", result: "accepted" });
  expect(alerts.recent()).toEqual([]);
  for (let i = 0; i < 25; i++) {
    clock.now += 1;
    alerts.publish({ type: "upstream", upstream: 0, state: "failover", pool: `p${i}` });
  }
  const recent = alerts.recent();
  expect(recent.length).toBe(20);
  expect(recent[0]!.details.pool).toBe("p5");
  expect(recent[19]!.details.pool).toBe("p24");
  // No webhook: nothing queued, nothing failing.
  expect(alerts.counters()).toMatchObject({
    raised: 25,
    published: 0,
    failed: 0,
    buffered: 0,
    connected: true,
  });
});

test("bad settings are E_ALERTS_CONFIG", () => {
  const ok = { ...DEFAULTS, webhook: "https://hooks.example/x", log: silentLogger };
  expect(codeOf(() => Alerts.open(ok))).toBeUndefined();
  expect(codeOf(() => Alerts.open({ ...ok, webhook: "ftp://hooks.example/x" }))).toBe("E_ALERTS_CONFIG");
  expect(codeOf(() => Alerts.open({ ...ok, webhook: "not a url" }))).toBe("E_ALERTS_CONFIG");
  expect(codeOf(() => Alerts.open({ ...ok, rejectPercent: 101 }))).toBe("E_ALERTS_CONFIG");
  expect(codeOf(() => Alerts.open({ ...ok, rejectWindowSeconds: 0 }))).toBe("E_ALERTS_CONFIG");
  expect(codeOf(() => Alerts.open({ ...ok, poolDownSeconds: 0 }))).toBe("E_ALERTS_CONFIG");
  expect(codeOf(() => Alerts.open({ ...ok, noSharesMinutes: -1 }))).toBe("E_ALERTS_CONFIG");
  expect(codeOf(() => Alerts.open({ ...ok, minIntervalSeconds: Number.NaN }))).toBe("E_ALERTS_CONFIG");
});

// Alerts on a real bridge core mining on the built-in pool, wired the way the composition root
// wires them (the core's events teed into Alerts, watch() on the core): the pool is stopped →
// pool_down reaches the webhook within pool_down_seconds plus a bounded margin; the pool is back
// → the recovery follows. Meanwhile the miner's session stays open and gets work again.

import { afterEach, expect, test } from "bun:test";
import { Alerts } from "../../src/alerts/index.ts";
import { Bridge } from "../../src/bridge/index.ts";
import { bridgeCoreOptions, poolClientOptions, startInProcessPool } from "../../src/cli/compose.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { silentLogger } from "../../src/util/log.ts";
import { linesLogger } from "../support/log.ts";
import { connect, testConfig, until } from "../bridge/harness.ts";
import { Sink } from "./harness.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const POOL_DOWN_SECONDS = 1;
const CHECK_MS = 100;
/** Detection of the lost connection (loopback: at once) plus one check, generously. */
const MARGIN_MS = 3_000;

test("built-in pool stopped: pool_down reaches the webhook within pool_down_seconds + margin, then recovered", async () => {
  const sink = new Sink();
  cleanups.push(() => sink.stop());
  const config = testConfig({ "upstream.pools": "builtin", "builtin_pool.difficulty": 0.01 });
  const poolTuning = {
    seed: 5,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    summaryIntervalSeconds: null,
  };
  let pool: PoolServer | null = startInProcessPool(config, silentLogger, poolTuning)!;
  const port = pool.port;
  cleanups.push(() => pool?.stop());

  const lines: string[] = [];
  const alerts = Alerts.open({
    webhook: sink.url,
    bridge: "it-bridge:0",
    poolDownSeconds: POOL_DOWN_SECONDS,
    rejectPercent: 10,
    rejectWindowSeconds: 300,
    noSharesMinutes: 10,
    minIntervalSeconds: 300,
    blockFound: true,
    log: linesLogger(lines),
    checkMs: CHECK_MS,
  });
  cleanups.push(() => alerts.close());
  // compose.ts's tee: the stream (none here) and the alerts both get every event.
  const client = {
    ...poolClientOptions(config, pool, "vbridge"),
    backoff: { baseMs: 20, maxMs: 100, jitter: 0 },
  };
  const bridge = Bridge.start({
    ...bridgeCoreOptions(config, client),
    events: { publish: (e) => alerts.publish(e) },
    log: silentLogger,
    tuning: { summaryIntervalSeconds: null },
  });
  cleanups.push(() => bridge.stop());
  alerts.watch(bridge);

  const miner = await connect(bridge);
  await until(() => bridge.health().ok, "the bridge serving work");
  await Bun.sleep(3 * CHECK_MS);
  expect(sink.received).toEqual([]);

  pool.stop();
  pool = null;
  const t0 = performance.now();
  await until(
    () => sink.received.length > 0,
    "pool_down at the webhook",
    POOL_DOWN_SECONDS * 1000 + MARGIN_MS,
  );
  const elapsed = performance.now() - t0;
  expect(elapsed).toBeGreaterThan(POOL_DOWN_SECONDS * 1000);
  const down = sink.received[0]!;
  expect(down.contentType).toBe("application/json");
  expect(down.body).toMatchObject({ alert: "pool_down", severity: "critical", bridge: "it-bridge:0" });
  expect(down.body.details).toMatchObject({ state: "down" });
  expect(down.body.details.upstreams).toEqual([
    { url: `stratum+tcp://127.0.0.1:${port}`, state: expect.any(String) },
  ]);

  // The pool comes back on its port: the client reconnects, the miner gets work, the webhook hears.
  const works = miner.sink.works.length;
  pool = PoolServer.start({ ...poolTuning, host: "127.0.0.1", port, difficulty: 0.01, log: silentLogger });
  await until(() => sink.received.length >= 2, "the recovery at the webhook", 10_000);
  expect(sink.received[1]!.body).toMatchObject({ alert: "pool_down", severity: "info" });
  expect(sink.received[1]!.body.details).toMatchObject({ state: "recovered" });
  await until(() => miner.sink.works.length > works, "work for the miner again");
  expect(miner.sink.ends).toEqual([]);
  // The receiver has the body before the sender has the answer.
  await until(() => alerts.counters().published === 2, "both POSTs answered");
  expect(alerts.counters()).toMatchObject({ raised: 2, published: 2, failed: 0 });
  expect(alerts.recent().map((a) => a.details.state)).toEqual(["down", "recovered"]);
});

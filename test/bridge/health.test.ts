// /health tells the truth (issue 10): 200 only while some upstream session is subscribed with a
// current job; 503 with the reason when the pool is lost, never answers subscribe, or closes after
// each reply — and a load balancer polling it sees 503 within 5 s of the loss, 200 once it is back.

import { afterEach, expect, test } from "bun:test";
import { downstreamOptions, startBridgeStack } from "../../src/cli/compose.ts";
import { startDownstream } from "../../src/downstream/index.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { silentLogger } from "../../src/util/log.ts";
import { FakePool } from "../upstream/fake-pool.ts";
import { ADDRESS, connect, testConfig, until } from "./harness.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function pool(port: number): PoolServer {
  const p = PoolServer.start({
    port,
    seed: 3,
    difficulty: 0.01,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    summaryIntervalSeconds: null,
    log: silentLogger,
  });
  cleanups.push(() => p.stop());
  return p;
}

/** The bridge with its HTTP server, on `url`; `health()` fetches /health. */
function stackOn(url: string) {
  const config = testConfig({
    "upstream.pools": url,
    "upstream.user": `${ADDRESS}.bridge`,
    "bridge.ws_difficulty": 0.001,
  });
  const stack = startBridgeStack(config, {
    client: { backoff: { baseMs: 20, maxMs: 100, jitter: 0 } },
    tuning: { summaryIntervalSeconds: null },
  });
  const ds = startDownstream(stack.bridge, downstreamOptions({ ...config.bridge, port: 0 }), silentLogger, {
    stratumEphemeral: true,
  });
  cleanups.push(() => stack.stop());
  cleanups.push(() => ds.stop());
  return {
    bridge: stack.bridge,
    async health(): Promise<{ status: number; body: { ok: boolean; reason?: string } }> {
      const r = await fetch(`http://127.0.0.1:${ds.port}/health`, { signal: AbortSignal.timeout(3000) });
      return { status: r.status, body: (await r.json()) as { ok: boolean; reason?: string } };
    },
  };
}

/** Polls /health until it answers `status`; returns the milliseconds it took. */
async function healthBecomes(
  s: ReturnType<typeof stackOn>,
  status: number,
  withinMs: number,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if ((await s.health()).status === status) return performance.now() - t0;
    if (performance.now() - t0 > withinMs) throw new Error(`/health not ${status} within ${withinMs} ms`);
    await Bun.sleep(50);
  }
}

test("/health over time: 200 with work, 503 within 5 s of the pool's loss, 200 once it is back", async () => {
  let p = pool(0);
  const port = p.port;
  const s = stackOn(`stratum+tcp://127.0.0.1:${port}`);
  const m = await connect(s.bridge);
  await healthBecomes(s, 200, 5000);
  p.stop();
  const lost = await healthBecomes(s, 503, 5000);
  expect(lost).toBeLessThan(5000);
  const down = await s.health();
  expect(down.body.ok).toBe(false);
  expect(down.body.reason).toContain("no upstream pool session has work");
  p = pool(port);
  await healthBecomes(s, 200, 5000);
  await until(() => m.sink.works.length >= 2, "work after the pool came back");
  expect(m.sink.ends).toEqual([]);
  console.log(`[health] pool stopped → /health 503 after ${Math.round(lost)} ms`);
});

test("/health: 503 while the pool never answers subscribe", async () => {
  const silent = new FakePool({ onLine: () => true });
  cleanups.push(() => silent.stop());
  const s = stackOn(silent.url);
  await until(() => silent.conns.length > 0 && silent.conns[0]!.lines.length > 0, "the subscribe sent");
  const h = await s.health();
  expect(h.status).toBe(503);
  expect(h.body.reason).toContain("not subscribed");
});

test("/health: 503 while the pool closes after each reply (never a job)", async () => {
  const flaky = new FakePool({
    onLine: (c, _line, msg) => {
      if (msg.method === "mining.subscribe")
        c.send(JSON.stringify({ id: msg.id, result: [null, "1ffffff0"], error: null }));
      c.close();
      return true;
    },
  });
  cleanups.push(() => flaky.stop());
  const s = stackOn(flaky.url);
  await until(() => flaky.conns.length >= 3, "a few connections");
  for (let i = 0; i < 5; i++) {
    expect((await s.health()).status).toBe(503);
    await Bun.sleep(10);
  }
  expect(s.bridge.health().ok).toBe(false);
});

// The webhook failing must never reach mining: publish() returns normally whatever the receiver
// does (gone, 500, hanging), failures are counted, one warning per outage and one line when it
// answers again, the queue is capped, and no log line carries the webhook's path (often its secret).

import { afterEach, expect, test } from "bun:test";
import type { BridgeEvent } from "../../src/events/schema.ts";
import { bench, Sink, until } from "./harness.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function open(o: Parameters<typeof bench>[0]) {
  const b = bench({ minIntervalSeconds: 0, ...o });
  cleanups.push(() => b.alerts.close());
  return b;
}

const failover = (n: number): BridgeEvent => ({
  type: "upstream",
  upstream: 0,
  state: "failover",
  pool: `stratum+tcp://p${n}.example:1`,
});

test("receiver gone: publish never throws, failures counted, one warning, then one recovery line", async () => {
  const probe = new Sink();
  const port = probe.port;
  await probe.stop();
  const secretUrl = `http://127.0.0.1:${port}/hooks/T0KEN-SECRET-123?key=abc`;
  const { alerts, lines } = open({ webhook: secretUrl });

  // The mining side: shares, and alerts raised from its events, all returning normally.
  for (let i = 0; i < 5; i++) expect(() => alerts.publish(failover(i))).not.toThrow();
  for (let i = 0; i < 1000; i++) {
    alerts.publish({
      type: "share",
      worker: "W",
      session: 1,
      transport: "stratum",
      stale: false,
      forwarded: false,
      verdict: "accepted",
      difficulty: 1,
    });
  }
  await until(() => alerts.counters().failed === 5, "five failed POSTs");
  expect(alerts.counters()).toMatchObject({
    raised: 5,
    published: 0,
    failed: 5,
    connected: false,
    buffered: 0,
  });
  const warnings = lines.filter((l) => l.startsWith("alerts: webhook failing"));
  expect(warnings.length).toBe(1);
  expect(warnings[0]).toContain(`webhook=http://127.0.0.1:${port}`);

  // The receiver is back on its port: the next alert goes through, one line says so.
  const back = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("ok") });
  cleanups.push(() => back.stop(true));
  alerts.publish(failover(9));
  await until(() => alerts.counters().published === 1, "the POST after the outage");
  expect(alerts.counters().connected).toBe(true);
  expect(lines.filter((l) => l.startsWith("alerts: webhook answering again")).length).toBe(1);
  expect(lines.join("\n")).toContain("failed=5");

  for (const l of lines) {
    expect(l).not.toContain("T0KEN-SECRET-123");
    expect(l).not.toContain("key=abc");
  }
});

test("receiver answers 500: counted as failed, the next alert is still tried", async () => {
  const s = new Sink();
  cleanups.push(() => s.stop());
  s.status = 500;
  const { alerts, lines } = open({ webhook: s.url });
  alerts.publish(failover(1));
  await until(() => alerts.counters().failed === 1, "the failed POST");
  expect(lines.some((l) => l.includes('error="HTTP 500"'))).toBe(true);
  s.status = 204;
  alerts.publish(failover(2));
  await until(() => alerts.counters().published === 1, "the next POST");
  expect(s.kinds()).toEqual(["failover", "failover"]);
});

test("receiver hangs: the POST times out, the queue is capped, close() is bounded", async () => {
  const s = new Sink();
  cleanups.push(() => s.stop());
  s.hang = true;
  const { alerts } = open({ webhook: s.url, timeoutMs: 200, queue: 3 });
  for (let i = 0; i < 10; i++) alerts.publish(failover(i));
  // One in flight (taken off the queue on the next turn), three queued at most: the rest dropped.
  expect(alerts.counters().dropped).toBeGreaterThanOrEqual(6);
  expect(alerts.counters().buffered).toBeLessThanOrEqual(3);
  await until(() => alerts.counters().failed >= 1, "a timed-out POST", 3000);
  expect(alerts.counters().connected).toBe(false);

  // close() gives up on what is still waiting (2 s at most), and counts it.
  const t0 = performance.now();
  await alerts.close();
  expect(performance.now() - t0).toBeLessThan(4000);
  const c = alerts.counters();
  expect(c.buffered).toBe(0);
  expect(c.published + c.failed + c.dropped).toBe(10);
  // After close, publish still returns normally and raises nothing.
  expect(() => alerts.publish(failover(11))).not.toThrow();
  expect(alerts.counters().raised).toBe(10);
});

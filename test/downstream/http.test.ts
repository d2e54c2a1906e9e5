// The HTTP routes beside /ws: the page, /health, /stats and /metrics (loopback only by default).

import { describe, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import { MSGPACK_SUBPROTOCOL, encodeClientFrame } from "../../src/protocol/ws-msgpack.ts";
import { FakeCore } from "./fake-core.ts";
import { harness } from "./harness.ts";

const h = harness();
const base = (port: number, host = "127.0.0.1") => `http://${host}:${port}`;

/** An address of this machine other than loopback, if it has one. */
function externalAddress(): string | null {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return null;
}

describe("HTTP routes", () => {
  test("/ serves the page: HTML, same-origin CSP, nothing from a third-party host", async () => {
    const s = h.start();
    const r = await fetch(base(s.ds.port) + "/");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toStartWith("text/html");
    expect(r.headers.get("content-security-policy")).toContain("default-src 'self'");
    const body = await r.text();
    expect(body).toContain("<html");
    expect(body).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  test("/health: ok and the upstream state; 503 while no upstream has work", async () => {
    const s = h.start();
    const r = await fetch(base(s.ds.port) + "/health");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      ok: true,
      status: "ok",
      uptimeSeconds: 12,
      upstreams: [{ state: "subscribed", connected: true }],
    });
    const down = new FakeCore();
    down.stats = () => ({
      ...FakeCore.prototype.stats.call(down),
      upstreams: [{ url: "x", state: "connecting", extranonce1: null, difficulty: null, sessions: 0 }],
    });
    down.healthNow = { ok: false, reason: "no upstream pool session has work" };
    const s2 = h.start({}, {}, down);
    const r2 = await fetch(base(s2.ds.port) + "/health");
    expect(r2.status).toBe(503);
    expect(await r2.json()).toMatchObject({
      ok: false,
      status: "down",
      reason: "no upstream pool session has work",
    });
    // Work, but the ledger's database failing: still 200 (a load balancer keeps it), said degraded.
    const degraded = new FakeCore();
    degraded.healthNow = { ok: true, degraded: "share ledger commits failing: connection refused" };
    const s3 = h.start({}, {}, degraded);
    const r3 = await fetch(base(s3.ds.port) + "/health");
    expect(r3.status).toBe(200);
    expect(await r3.json()).toMatchObject({
      ok: true,
      status: "degraded",
      degraded: "share ledger commits failing: connection refused",
    });
  });

  test("/stats from loopback: the core's stats and the transports' counters", async () => {
    const s = h.start();
    const c = await s.ws("/ws", { protocols: [MSGPACK_SUBPROTOCOL] });
    c.send(encodeClientFrame({ type: "hello", worker: "w", agent: null }));
    await c.frame("job");
    const r = await fetch(base(s.ds.port) + "/stats");
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, any>;
    expect(body.sessions).toEqual({ "ws-msgpack": 1, "ws-json": 0, stratum: 0 });
    expect(body.hashrate).toBe(1234.5);
    expect(body.downstream.open["ws-msgpack"]).toBe(1);
    expect(body.downstream.accepted.ws).toBe(1);
    // Every socket the servers hold, this request's own included: the WebSocket and this one.
    expect(body.downstream.sockets).toMatchObject({ open: 2, max: 10_000 });
  });

  test("/metrics: Prometheus text, HELP and TYPE per family, no address labels", async () => {
    const s = h.start();
    await s.stratum();
    const r = await fetch(base(s.ds.port) + "/metrics");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await r.text();
    expect(text.endsWith("\n")).toBe(true);
    expect(text).toContain("# TYPE vbridge_sessions gauge\n");
    expect(text).toContain('vbridge_sessions{transport="ws-msgpack"} 0\n');
    expect(text).toContain('vbridge_shares_rejected_total{code="23"} 1\n');
    expect(text).toContain("# TYPE vbridge_shares_stale_total counter\nvbridge_shares_stale_total 0\n");
    expect(text).toContain('vbridge_upstream_errors_total{code="E_POOL_DIFFICULTY"} 2\n');
    expect(text).toContain('vbridge_connections{kind="stratum"} 1\n');
    expect(text).toContain('vbridge_upstream_connected{upstream="0"} 1\n');
    expect(text).toContain("vbridge_sockets_max 10000\n");
    for (const line of text.trimEnd().split("\n")) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+)$/,
      );
    }
    expect(text).not.toContain("127.0.0.1");
  });

  test("other paths 404, other methods 405, /ws without an upgrade 426", async () => {
    const s = h.start();
    expect((await fetch(base(s.ds.port) + "/nope")).status).toBe(404);
    expect((await fetch(base(s.ds.port) + "/", { method: "POST", body: "x" })).status).toBe(405);
    expect((await fetch(base(s.ds.port) + "/ws")).status).toBe(426);
  });

  const external = externalAddress();
  test.skipIf(external === null)(
    "/stats and /metrics refuse non-loopback clients unless bridge.stats_public",
    async () => {
      const closed = h.start({ host: "0.0.0.0" });
      expect((await fetch(base(closed.ds.port, external!) + "/stats")).status).toBe(403);
      expect((await fetch(base(closed.ds.port, external!) + "/metrics")).status).toBe(403);
      expect((await fetch(base(closed.ds.port, external!) + "/health")).status).toBe(200);
      const open = h.start({ host: "0.0.0.0", stats_public: true });
      expect((await fetch(base(open.ds.port, external!) + "/metrics")).status).toBe(200);
    },
  );
});

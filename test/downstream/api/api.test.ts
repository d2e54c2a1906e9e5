// The operator API (/api/v1/*, docs/api.md) over a real bridge core on the built-in pool, with a
// Stratum miner whose shares are credited: every endpoint's fields, the access rule (loopback;
// a remote client — named by X-Forwarded-For from a trusted proxy — only with the admin token),
// no client addresses unless ?ips=1, the live event stream, and the payout report = the ledger.

import { describe, expect, test } from "bun:test";
import { ADDRESS, startApiStack } from "./stack.ts";

const W1 = `${ADDRESS}.rig1`;
const REMOTE = { "X-Forwarded-For": "203.0.113.7" };

describe("operator API", () => {
  test("summary, workers, miners, upstreams: the fields, from the live core and the ledger", async () => {
    const s = startApiStack();
    await s.mine(W1, 3);
    expect(await s.bridge.worker(W1)).toMatchObject({ accepted: 3 });

    const summary = await s.json("/api/v1/summary");
    expect(summary.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(summary.uptime).toBeGreaterThanOrEqual(0);
    expect(summary.workers).toEqual({ total: 1, online: 1 });
    expect(summary.miners).toEqual({
      total: 1,
      byTransport: { "ws-msgpack": 0, "ws-json": 0, stratum: 1 },
      byAgent: { ccminer: 1 },
    });
    expect(summary.hashrate.total).toHaveLength(5);
    for (const h of summary.hashrate.total) expect(h).toBeGreaterThan(0);
    expect(summary.results).toMatchObject({ accepted: 3, rejected: 0, invalid: 0, stale: 0, byCode: {} });
    expect(summary.results.avgTime).toBeGreaterThan(0);
    expect(summary.upstreams).toEqual({ total: 1, active: 1 });
    expect(summary.blocks).toEqual({ found: 0, accepted: 0 });
    expect(summary.ledger).toMatchObject({ kind: "sqlite", failing: false });
    expect(summary.alerts).toEqual([]);

    const { workers } = await s.json("/api/v1/workers");
    expect(workers).toHaveLength(1);
    const [name, ip, connections, accepted, rejected, invalid, stale, lastShare, hashes, ...rates] =
      workers[0];
    expect([name, ip, connections, accepted, rejected, invalid, stale]).toEqual([W1, null, 1, 3, 0, 0, 0]);
    expect(lastShare).toBeGreaterThan(Date.now() - 60_000);
    expect(hashes).toBeCloseTo(0.003, 9); // 3 shares credited at 0.001
    expect(rates).toHaveLength(5);
    for (const r of rates) expect(r).toBeGreaterThan(0);

    const { miners } = await s.json("/api/v1/miners");
    expect(miners).toHaveLength(1);
    expect(miners[0]).toMatchObject({
      worker: W1,
      transport: "stratum",
      agent: "ccminer/3.8.3",
      difficulty: 0.001,
      accepted: 3,
      rejected: 0,
      stale: 0,
      upstream: 1,
    });
    expect(miners[0].ip).toBeUndefined();
    expect(miners[0].hashrate).toBeGreaterThan(0);
    expect(miners[0].lastShareAt).toBeGreaterThanOrEqual(miners[0].connectedAt);

    const { upstreams } = await s.json("/api/v1/upstreams");
    expect(upstreams).toHaveLength(1);
    expect(upstreams[0]).toMatchObject({
      index: 1,
      state: "authorized",
      difficulty: 0.002,
      sessions: 1,
      failovers: 0,
    });
    expect(upstreams[0].url).not.toContain("@");
    expect(upstreams[0].extranonce1).toMatch(/^[0-9a-f]+$/);
    expect(upstreams[0].lastJobAgeMs).toBeGreaterThanOrEqual(0);
    // latencyMs: null until a share reaches the pool's target, then the round trip.
    expect(upstreams[0].latencyMs === null || upstreams[0].latencyMs >= 0).toBe(true);

    // No text anywhere holds the miner's address unless asked (the upstreams name the pool's).
    const all = await Promise.all(
      ["summary", "workers", "miners"].map((p) => s.get(`/api/v1/${p}`).then((r) => r.text())),
    );
    for (const t of all) expect(t).not.toContain("127.0.0.1");
    const withIps = await s.json("/api/v1/miners?ips=1");
    expect(withIps.miners[0].ip).toBe("127.0.0.1");
    expect((await s.json("/api/v1/workers?ips=1")).workers[0][1]).toBe("127.0.0.1");
  });

  test("history: one zero-filled point per minute; its sums are the ledger's", async () => {
    const s = startApiStack();
    await s.mine(W1, 2);
    for (const [range, minutes] of [
      ["1h", 60],
      ["24h", 1440],
    ] as const) {
      const h = await s.json(`/api/v1/history?range=${range}`);
      expect(h.step).toBe(60_000);
      expect(h.to - h.from).toBe(minutes * 60_000);
      expect(h.total).toHaveLength(minutes);
      h.total.forEach((p: { t: number }, i: number) => expect(p.t).toBe(h.from + i * 60_000));
      const sum = h.total.reduce((a: number, p: { accepted: number }) => a + p.accepted, 0);
      expect(sum).toBe(2);
      expect(h.total.filter((p: { accepted: number }) => p.accepted === 0).length).toBeGreaterThanOrEqual(
        minutes - 2,
      );
      expect(h.total.at(-1)).toHaveProperty("byCode");
      expect(Object.keys(h.workers)).toEqual([W1]);
      expect(h.workers[W1]).toHaveLength(minutes);
    }
    const one = await s.json(`/api/v1/history?range=1h&worker=${encodeURIComponent(`${ADDRESS}.none`)}`);
    expect(one.total).toHaveLength(60);
    expect(one.workers).toEqual({});
    const bad = await s.get("/api/v1/history?range=7d");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("E_API_QUERY");
  });

  test("report: JSON and CSV; its sums equal the ledger's totals", async () => {
    const s = startApiStack();
    await s.mine(W1, 2);
    await s.mine(`${ADDRESS}.rig2`, 1);
    const totals = await s.bridge.workers();
    const from = Date.now() - 3_600_000;
    const to = Date.now() + 120_000;
    const r = await s.json(`/api/v1/report?from=${from}&to=${to}`);
    const credited = totals.reduce((a, w) => a + w.acceptedDifficulty, 0);
    expect(r.totals.accepted).toBe(totals.reduce((a, w) => a + w.accepted, 0));
    expect(r.totals.accepted).toBe(3);
    expect(r.totals.creditedDifficulty).toBeCloseTo(credited, 12);
    expect(r.workers.map((w: { worker: string }) => w.worker).sort()).toEqual(
      totals.map((w) => w.worker).sort(),
    );
    expect(r.workers.reduce((a: number, w: { share: number }) => a + w.share, 0)).toBeCloseTo(1, 12);
    const iso = new Date(from).toISOString();
    const csv = await s.get(`/api/v1/report?from=${iso}&to=${to}&format=csv`);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toContain("worker");
    expect(lines.some((l) => l.startsWith(W1))).toBe(true);
    for (const q of [`from=${to}&to=${from}`, "from=nonsense", `from=${from}&to=${to}&format=xml`]) {
      const bad = await s.get(`/api/v1/report?${q}`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("E_API_QUERY");
    }
  });

  test("access: loopback always; a remote client 403 without the token, 200 with it; ips only for them", async () => {
    const s = startApiStack({ trustedProxies: ["127.0.0.1"], adminToken: "s3cret" });
    await s.mine(W1, 1);
    expect((await s.get("/api/v1/summary")).status).toBe(200);
    for (const p of ["summary", "workers", "miners", "upstreams", "history", "live"]) {
      const r = await s.get(`/api/v1/${p}`, REMOTE);
      expect(r.status).toBe(403);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("E_API_FORBIDDEN");
    }
    expect((await s.get("/api/v1/summary", { ...REMOTE, Authorization: "Bearer wrong" })).status).toBe(403);
    expect((await s.get("/dashboard", REMOTE)).status).toBe(403);
    expect((await s.get("/api/v1/summary", { ...REMOTE, Authorization: "Bearer s3cret" })).status).toBe(200);
    expect((await s.get("/api/v1/summary?token=s3cret", REMOTE)).status).toBe(200);
    const m = await s.json("/api/v1/miners?ips=1", { ...REMOTE, Authorization: "Bearer s3cret" });
    expect(m.miners[0].ip).toBe("127.0.0.1");
  });

  test("access: without bridge.admin_token a remote client is always refused", async () => {
    const s = startApiStack({ trustedProxies: ["127.0.0.1"] });
    expect((await s.get("/api/v1/summary", REMOTE)).status).toBe(403);
    expect((await s.get("/api/v1/summary?token=", { ...REMOTE, Authorization: "Bearer " })).status).toBe(403);
    expect((await s.get("/api/v1/summary")).status).toBe(200);
  });
});

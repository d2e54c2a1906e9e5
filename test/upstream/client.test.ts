// PoolClient against scripted fake pools over loopback: the faults of verus-stratum.md §7 and the
// issue's list. Every wait is bounded (EventLog.until); every client and pool is closed after each test.

import { afterEach, describe, expect, test } from "bun:test";
import { PoolClient } from "../../src/upstream/client.ts";
import type { Logger } from "../../src/util/log.ts";
import type { PoolClientOptions } from "../../src/upstream/options.ts";
import { FakePool, refusedPort } from "./fake-pool.ts";
import { EventLog, notifyLine, PREV_B, resultLine, share } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function pool(o: ConstructorParameters<typeof FakePool>[0] = {}): FakePool {
  const p = new FakePool(o);
  cleanups.push(() => p.stop());
  return p;
}

function client(
  pools: string[],
  o: Partial<PoolClientOptions> = {},
): { c: PoolClient<number>; log: EventLog } {
  const log = new EventLog();
  const c = new PoolClient<number>(
    {
      pools,
      user: "RAddr.test",
      password: "hunter2",
      userAgent: "vbridge/test",
      connectTimeoutMs: 2000,
      subscribeTimeoutMs: 2000,
      authorizeTimeoutMs: 2000,
      submitTimeoutMs: 2000,
      backoff: { baseMs: 5, maxMs: 40, jitter: 0 },
      healthyAfterMs: 0,
      random: () => 0,
      ...o,
    },
    log.listener,
  );
  cleanups.push(() => c.close());
  c.start();
  return { c, log };
}

const authorizedCount = (log: EventLog) => log.of("state").filter((s) => s.state === "authorized").length;
const disconnects = (log: EventLog) =>
  log.of("state").flatMap((s) => (s.state === "disconnected" ? [s.error.code] : []));

describe("a session against a v-nomp-like pool", () => {
  test("subscribe, authorize, job, submit accepted with the caller's token", async () => {
    const p = pool();
    const { c, log } = client([p.url]);
    await log.until(() => log.of("job").length > 0 && c.authorized, "job and authorize");
    expect(log.states()).toEqual(["connecting", "connected", "subscribed", "authorized"]);
    const [xn] = log.of("extranonce");
    expect(xn).toEqual({
      type: "extranonce",
      epoch: 1,
      extranonce1: "1ffffff0",
      extranonce2Size: 28,
      pool: p.url,
    });
    expect(log.of("target")[0]!.difficulty).toBe(2);
    const job = log.of("job")[0]!;
    c.submit(share(job.epoch, job.job.id), 42);
    await log.until(() => log.of("result").length === 1, "result");
    expect(log.of("result")[0]).toEqual({
      type: "result",
      token: 42,
      jobId: "j0",
      pool: p.url,
      outcome: { status: "accepted" },
    });
    expect(JSON.parse(p.conns[0]!.lines[0]!)).toEqual({
      id: 1,
      method: "mining.subscribe",
      params: ["vbridge/test"],
    });
    expect(p.conns[0]!.lines.some((l) => l.includes("mining.ping"))).toBe(false);
  });

  test("lines arriving in 1-byte chunks are reassembled", async () => {
    const p = pool({ chunkSize: 1 });
    const { c, log } = client([p.url]);
    await log.until(() => log.of("job").length > 0 && c.authorized, "the chunked job");
    expect(log.of("job")[0]!.job.id).toBe("j0");
    expect(log.of("target")[0]!.difficulty).toBe(2);
    expect(disconnects(log)).toEqual([]);
  });

  test("#xnsub turns on extranonce.subscribe; a pool that never answers it does not hold anything up", async () => {
    const p = pool({ onLine: (_c, _l, msg) => msg.method === "mining.extranonce.subscribe" });
    const { c, log } = client([p.url + "#xnsub"]);
    await log.until(() => log.of("job").length > 0 && c.authorized, "authorized");
    const job = log.of("job")[0]!;
    c.submit(share(job.epoch, job.job.id), 1);
    await log.until(() => log.of("result").length === 1, "result");
    expect(p.conns[0]!.lines.map((l) => JSON.parse(l).method)).toEqual([
      "mining.subscribe",
      "mining.authorize",
      "mining.extranonce.subscribe",
      "mining.submit",
    ]);
  });
});

describe("faults", () => {
  test("the pool closes mid-line: disconnected, reconnected, the half line never becomes a job", async () => {
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (conn.index > 0) return false;
        if (msg.method !== "mining.subscribe") return true; // silence: nothing may follow the half line
        conn.send(resultLine(msg.id, [null, conn.xn1]));
        const half = notifyLine("half");
        conn.raw(half.slice(0, half.length / 2));
        setTimeout(() => conn.close(), 20);
        return true;
      },
    });
    const { log } = client([p.url]);
    await log.until(() => authorizedCount(log) === 1, "authorized after the reconnect");
    expect(disconnects(log)).toEqual(["E_CONNECTION_CLOSED"]);
    expect(log.of("job").map((j) => j.job.id)).toEqual(["j1"]);
  });

  test.each([
    ["garbage", "this is not json\n", "E_BAD_JSON"],
    ["an over-cap line", "x".repeat(5000), "E_LINE_TOO_LONG"],
  ])("%s → E_POOL_PROTOCOL, reconnect, nothing crashes", async (_n, text, protocolCode) => {
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (conn.index === 0 && msg.method === "mining.authorize") {
          conn.raw(text);
          return true;
        }
        return false;
      },
    });
    const { log } = client([p.url], { maxLineBytes: 4096 });
    await log.until(() => authorizedCount(log) === 1, "authorized on the second connection");
    const [d] = log.of("state").filter((s) => s.state === "disconnected");
    expect(d).toMatchObject({ error: { code: "E_POOL_PROTOCOL", detail: { protocolCode } } });
    expect(p.conns).toHaveLength(2);
  });

  test("subscribe never answered → E_CALL_TIMEOUT, then a retry", async () => {
    const p = pool({ onLine: (conn, _l, msg) => conn.index === 0 && msg.method === "mining.subscribe" });
    const { log } = client([p.url], { subscribeTimeoutMs: 100 });
    await log.until(() => authorizedCount(log) === 1, "the second connection");
    expect(disconnects(log)).toEqual(["E_CALL_TIMEOUT"]);
  });

  test("a stalled submit is reported timeout, the stuck connection is replaced", async () => {
    const p = pool({ onLine: (conn, _l, msg) => conn.index === 0 && msg.method === "mining.submit" });
    const { c, log } = client([p.url], { submitTimeoutMs: 150 });
    await log.until(() => log.of("job").length > 0 && c.authorized, "work");
    const job = log.of("job")[0]!;
    c.submit(share(job.epoch, job.job.id, 1), 1);
    await Bun.sleep(50); // a later deadline: still unanswered when the first one ends the session
    c.submit(share(job.epoch, job.job.id, 2), 2);
    await log.until(() => authorizedCount(log) === 2, "the replacement connection");
    expect(log.of("result").map((r) => [r.token, r.outcome])).toEqual([
      [1, { status: "timeout" }],
      [2, { status: "lost", reason: "E_CALL_TIMEOUT" }],
    ]);
    expect(disconnects(log)).toEqual(["E_CALL_TIMEOUT"]);
  });

  test("reconnect: a new extranonce1 opens a new epoch, the old one is invalidated, old work is stale", async () => {
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (conn.index === 0 && msg.method === "mining.submit") {
          conn.close(); // like v-nomp's flood guard: no answer, just gone
          return true;
        }
        return false;
      },
    });
    const { c, log } = client([p.url]);
    await log.until(() => log.of("job").length > 0 && c.authorized, "work");
    const first = log.of("job")[0]!;
    c.submit(share(first.epoch, first.job.id), 1);
    await log.until(
      () => authorizedCount(log) === 2 && log.of("job").length === 2,
      "the second session's work",
    );
    expect(log.of("result")[0]).toMatchObject({
      token: 1,
      outcome: { status: "lost", reason: "E_CONNECTION_CLOSED" },
    });
    expect(
      log.events
        .filter((e) => e.type === "extranonce" || e.type === "invalidate")
        .map((e) => [e.type, e.epoch]),
    ).toEqual([
      ["extranonce", 1],
      ["invalidate", 1],
      ["extranonce", 2],
    ]);
    expect(log.of("extranonce")[1]!.extranonce1).toBe("1ffffff1");
    expect(log.of("job")[1]).toMatchObject({ epoch: 2, clean: true });
    // ccminer's habit: the old subscription id offered as session id.
    expect(JSON.parse(p.conns[1]!.lines[0]!).params).toEqual(["vbridge/test", "sub0"]);
    c.submit(share(first.epoch, "j1"), 2);
    expect(log.of("result")[1]).toMatchObject({
      token: 2,
      outcome: { status: "stale", reason: "old-epoch" },
    });
  });

  test("a new block as clean=false within v-nomp's 15 s: queued shares of the old block are stale", async () => {
    let hold: (() => void) | null = null;
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (msg.method !== "mining.submit") return false;
        hold ??= () => {
          conn.send(notifyLine("b1", false, PREV_B));
          conn.send(resultLine(msg.id, true));
        };
        return true;
      },
    });
    const { c, log } = client([p.url], { maxInFlightSubmits: 1 });
    await log.until(() => log.of("job").length > 0 && c.authorized, "work");
    const job = log.of("job")[0]!;
    for (let i = 0; i < 3; i++) c.submit(share(job.epoch, job.job.id, i), i);
    await log.until(() => hold !== null, "the first submit");
    hold!();
    await log.until(() => log.of("result").length === 3, "three results");
    expect(log.of("result").map((r) => [r.token, r.outcome.status])).toEqual([
      [1, "stale"],
      [2, "stale"],
      [0, "accepted"],
    ]);
    expect(log.of("job")[1]).toMatchObject({ clean: true });
    expect(p.conns[0]!.lines.filter((l) => l.includes("mining.submit"))).toHaveLength(1);
  });
});

describe("the flood guard (v-nomp closes at 4 submits in one read / > 10 240 bytes without a newline)", () => {
  test("20 shares at once: never more than 3 in flight, so the guard never trips", async () => {
    let unanswered = 0;
    let maxUnanswered = 0;
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (msg.method !== "mining.submit") return false;
        if (conn.submitsPerRead.some((n) => n >= 4)) {
          conn.close();
          return true;
        }
        maxUnanswered = Math.max(maxUnanswered, ++unanswered);
        setTimeout(() => {
          unanswered--;
          conn.send(resultLine(msg.id, true));
        }, 2);
        return true;
      },
    });
    const { c, log } = client([p.url]);
    await log.until(() => log.of("job").length > 0 && c.authorized, "work");
    const job = log.of("job")[0]!;
    for (let i = 0; i < 20; i++) c.submit(share(job.epoch, job.job.id, i), i);
    await log.until(() => log.of("result").length === 20, "20 results");
    expect(log.of("result").every((r) => r.outcome.status === "accepted")).toBe(true);
    expect(log.of("result").map((r) => r.token)).toEqual([...Array(20).keys()]);
    expect(maxUnanswered).toBeLessThanOrEqual(3);
    expect(Math.max(...p.conns[0]!.submitsPerRead)).toBeLessThanOrEqual(3);
    expect(p.conns).toHaveLength(1);
    expect(disconnects(log)).toEqual([]);
  });
});

describe("backoff, failover and the way back", () => {
  test("refused: backoff grows, failover after 3, back to the primary once it listens again", async () => {
    const primaryPort = refusedPort();
    const backup = pool();
    const { log } = client([`stratum+tcp://127.0.0.1:${primaryPort}`, backup.url], {
      backoff: { baseMs: 10, maxMs: 1000, jitter: 0.5 },
      random: () => 0.5,
      failoverAfter: 3,
      primaryProbeIntervalMs: 30,
    });
    await log.until(() => authorizedCount(log) === 1, "authorized on the backup");
    const waits = log
      .of("state")
      .flatMap((s) => (s.state === "waiting" ? [[s.delayMs, s.reason, s.pool]] : []));
    const primaryUrl = `stratum+tcp://127.0.0.1:${primaryPort}`;
    // 10·2^(k−1) scaled by (1 − 0.5·0.5): 7.5 → 8, 15, 30 — and the third failure moves to the backup.
    expect(waits).toEqual([
      [8, "backoff", primaryUrl],
      [15, "backoff", primaryUrl],
      [30, "failover", backup.url],
    ]);
    expect(disconnects(log)).toEqual(["E_CONNECT_REFUSED", "E_CONNECT_REFUSED", "E_CONNECT_REFUSED"]);

    const primary = pool({ port: primaryPort });
    await log.until(() => authorizedCount(log) === 2, "authorized on the primary again");
    const last = log.of("state").slice(-6);
    expect(last.map((s) => [s.state, "pool" in s ? s.pool : null])).toEqual([
      ["disconnected", backup.url],
      ["waiting", primaryUrl],
      ["connecting", primaryUrl],
      ["connected", primaryUrl],
      ["subscribed", primaryUrl],
      ["authorized", primaryUrl],
    ]);
    expect(disconnects(log).at(-1)).toBe("E_SWITCH_PRIMARY");
    // The probe plus the real session.
    expect(primary.conns.length).toBeGreaterThanOrEqual(2);
  });

  test.each([
    ["resets after a healthy session", 0, [5, 5, 5]],
    ["keeps growing while sessions die young", 60_000, [5, 10, 20]],
  ])("backoff %s", async (_n, healthyAfterMs, delays) => {
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (msg.method !== "mining.authorize") return false;
        conn.send(resultLine(msg.id, true));
        setTimeout(() => conn.close(), 5);
        return true;
      },
    });
    const { log } = client([p.url], { healthyAfterMs });
    await log.until(
      () => log.of("state").filter((s) => s.state === "waiting").length >= 3,
      "three reconnects",
    );
    expect(
      log
        .of("state")
        .flatMap((s) => (s.state === "waiting" ? [s.delayMs] : []))
        .slice(0, 3),
    ).toEqual(delays);
  });

  test("returnToPrimary: false stays on the backup", async () => {
    const backup = pool();
    const { c, log } = client([`stratum+tcp://127.0.0.1:${refusedPort()}`, backup.url], {
      failoverAfter: 1,
      returnToPrimary: false,
      primaryProbeIntervalMs: 10,
    });
    await log.until(() => c.authorized, "on the backup");
    await Bun.sleep(50);
    expect([c.poolIndex, authorizedCount(log)]).toEqual([1, 1]);
  });

  test("client.reconnect is honoured: the next connection goes where the pool said (port as a string)", async () => {
    const other = pool();
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (msg.method === "mining.authorize") {
          conn.send(resultLine(msg.id, true));
          conn.send(
            JSON.stringify({
              id: null,
              method: "client.reconnect",
              params: ["127.0.0.1", String(other.port), 0],
            }),
          );
          return true;
        }
        return false;
      },
    });
    const { log } = client([p.url]);
    await log.until(() => authorizedCount(log) === 2, "authorized at the redirect target");
    expect(disconnects(log)).toEqual(["E_POOL_RECONNECT"]);
    expect(
      log
        .of("state")
        .filter((s) => s.state === "connecting")
        .map((s) => s.pool),
    ).toEqual([p.url, other.url]);
    expect(log.of("state").find((s) => s.state === "waiting")).toMatchObject({
      reason: "redirect",
      delayMs: 5,
    }); // wait 0, floored at the backoff base
  });
});

describe("closing and logging", () => {
  test("close(): pending shares reported, closed emitted, no reconnect, later submits dropped", async () => {
    const p = pool({ onLine: (_c, _l, msg) => msg.method === "mining.submit" });
    const { c, log } = client([p.url]);
    await log.until(() => log.of("job").length > 0 && c.authorized, "work");
    const job = log.of("job")[0]!;
    c.submit(share(job.epoch, job.job.id), 1);
    await log.until(
      () => p.conns[0]!.lines.some((l) => l.includes("mining.submit")),
      "the submit at the pool",
    );
    await c.close();
    expect(log.of("result")[0]!.outcome).toEqual({ status: "lost", reason: "E_CLIENT_CLOSED" });
    expect(log.states().slice(-2)).toEqual(["disconnected", "closed"]);
    c.submit(share(job.epoch, job.job.id), 2);
    expect(log.of("result")[1]!.outcome).toEqual({ status: "dropped", reason: "closed" });
    await Bun.sleep(30);
    expect(p.conns).toHaveLength(1);
  });

  test("the password never reaches the logger or an event", async () => {
    const lines: string[] = [];
    const capture = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      void lines.push(level + " " + message + " " + JSON.stringify(fields ?? {}));
    const logger: Logger = {
      debug: capture("debug"),
      info: capture("info"),
      warn: capture("warn"),
      error: capture("error"),
    };
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (msg.method !== "mining.authorize") return false;
        conn.send(resultLine(msg.id, false, [24, "unauthorized worker", null]));
        return true;
      },
    });
    const { log } = client([p.url], { log: logger });
    await log.until(() => disconnects(log).length >= 1, "the auth failure");
    expect(disconnects(log)[0]).toBe("E_AUTH_FAILED");
    const events = JSON.stringify(log.events, (_k, v) =>
      typeof v === "bigint" ? v.toString(16) : v instanceof Error ? { ...v, message: v.message } : v,
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain("hunter2");
    expect(events).not.toContain("hunter2");
    expect(p.conns[0]!.lines[1]).toContain("hunter2"); // it did go to the pool, where it belongs
  });

  test("bad configuration fails at construction, before any connection", () => {
    expect(() => new PoolClient({ pools: ["http://x:1"], user: "R" }, () => {})).toThrow(
      expect.objectContaining({ code: "E_POOL_URL" }),
    );
  });
});

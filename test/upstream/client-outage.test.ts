// PoolClient through pool outages (issue 10): the fast reconnect while miners are attached, failover
// to a backup within 5 s of a drop, the next pool at once when a pool is unusable, client.reconnect
// only to hosts we chose, difficulty extremes as coded warnings. Real pools on 127.0.0.1, stopped
// and restarted on the same port; every wait bounded (EventLog.until). The jitter source is fixed
// at 0, which takes every backoff step in full: the slowest the policy can be.

import { afterEach, describe, expect, test } from "bun:test";
import { PoolClient } from "../../src/upstream/client.ts";
import { UpstreamError, type UpstreamErrorCode } from "../../src/upstream/errors.ts";
import type { PoolClientOptions } from "../../src/upstream/options.ts";
import { FakePool, type FakePoolOptions } from "./fake-pool.ts";
import { EventLog, resultLine, share } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function pool(o: FakePoolOptions = {}): FakePool {
  const p = new FakePool(o);
  cleanups.push(() => p.stop());
  return p;
}

/** The default (long) backoff unless a test says otherwise: what urgency changes must show. */
function client(
  pools: string[],
  o: Partial<PoolClientOptions> = {},
  urgent = false,
): { c: PoolClient<number>; log: EventLog } {
  const log = new EventLog();
  const c = new PoolClient<number>(
    {
      pools,
      user: "RAddr.test",
      userAgent: "vbridge/test",
      connectTimeoutMs: 2000,
      subscribeTimeoutMs: 2000,
      authorizeTimeoutMs: 2000,
      submitTimeoutMs: 2000,
      healthyAfterMs: 0,
      random: () => 0,
      ...o,
    },
    log.listener,
  );
  cleanups.push(() => c.close());
  c.setUrgent(urgent);
  c.start();
  return { c, log };
}

const waits = (log: EventLog) =>
  log.of("state").flatMap((s) => (s.state === "waiting" ? [{ delayMs: s.delayMs, reason: s.reason }] : []));
const disconnects = (log: EventLog) =>
  log.of("state").flatMap((s) => (s.state === "disconnected" ? [s.error.code] : []));
const connectsTo = (log: EventLog, url: string) =>
  log.of("state").filter((s) => s.state === "connecting" && s.pool === url).length;
const jobsFrom = (log: EventLog, epochAbove: number) => log.of("job").filter((j) => j.epoch > epochAbove);
const working = (c: PoolClient<number>, log: EventLog) => c.authorized && log.of("job").length > 0;

describe("fast reconnect while miners are attached", () => {
  test("pool restarted on the same port: first retry ≤ 250 ms, fresh work ≤ 2 s after it listens", async () => {
    const first = pool();
    const port = first.port;
    const { c, log } = client([first.url], {}, true);
    await log.until(() => working(c, log), "work");
    const epoch = c.epoch!;
    first.stop();
    // Down long enough for the backoff to reach its 1 s steps for a refused pool (250, 500, 1000, …).
    await log.until(() => disconnects(log).length >= 4, "four failed attempts", 6000);
    const again = pool({ port });
    const listening = performance.now();
    await log.until(() => jobsFrom(log, epoch).length > 0, "fresh work from the restarted pool", 4000);
    const ms = performance.now() - listening;
    expect(ms).toBeLessThanOrEqual(2000);
    expect(again.conns.length).toBeGreaterThanOrEqual(1);
    const w = waits(log);
    expect(w[0]!.delayMs).toBeLessThanOrEqual(250);
    expect(Math.max(...w.map((x) => x.delayMs))).toBeLessThanOrEqual(1000); // refused: knocked every second
    expect(disconnects(log)[0]).toMatch(/^E_CONNECTION_(CLOSED|RESET)$/);
    expect(
      disconnects(log)
        .slice(1)
        .every((d) => d === "E_CONNECT_REFUSED"),
    ).toBe(true);
  }, 15_000);

  test("without miners the long backoff stays", async () => {
    const p = pool({ onOpen: (conn) => conn.close() });
    const { log } = client([p.url]);
    await log.until(() => waits(log).length >= 1, "the first wait");
    expect(waits(log)[0]).toEqual({ delayMs: 1000, reason: "backoff" }); // DEFAULT_BACKOFF base
  });

  test("the cap (upstream.reconnect_max_delay) holds for a pool that accepts and drops us", async () => {
    const p = pool({ onOpen: (conn) => conn.close() });
    const { log } = client([p.url], { urgentBackoff: { baseMs: 10, maxMs: 35 } }, true);
    await log.until(() => waits(log).length >= 5, "five waits");
    expect(
      waits(log)
        .slice(0, 5)
        .map((w) => w.delayMs),
    ).toEqual([10, 20, 35, 35, 35]);
  });

  test("miners arriving during a long wait cut it short", async () => {
    const p = pool({ onOpen: (conn) => conn.index === 0 && conn.close() });
    const { c, log } = client([p.url], { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    await log.until(() => waits(log).length === 1, "the long wait");
    expect(waits(log)[0]!.delayMs).toBe(60_000);
    c.setUrgent(true);
    expect(waits(log)[1]!.delayMs).toBeLessThanOrEqual(250);
    await log.until(() => working(c, log), "work long before a minute", 2000);
  });
});

describe("failover", () => {
  test("a dropped primary: work from the backup ≤ 5 s after the drop, back once the primary listens", async () => {
    const primary = pool();
    const port = primary.port;
    const backup = pool();
    const { c, log } = client([primary.url, backup.url], { primaryProbeIntervalMs: 50 }, true);
    await log.until(() => working(c, log), "work from the primary");
    const epoch = c.epoch!;
    primary.stop();
    const dropped = performance.now();
    await log.until(() => jobsFrom(log, epoch).length > 0, "work from the backup", 6000);
    const ms = performance.now() - dropped;
    expect(ms).toBeLessThanOrEqual(5000);
    expect(c.poolIndex).toBe(1);
    expect(log.of("job").at(-1)!.extranonce1).toBe(backup.conns[0]!.xn1);
    expect(waits(log).at(-1)).toEqual({ delayMs: 0, reason: "failover" });

    const back = pool({ port });
    const onBackup = c.epoch!;
    await log.until(
      () => c.poolIndex === 0 && jobsFrom(log, onBackup).length > 0,
      "back on the primary",
      4000,
    );
    expect(disconnects(log).at(-1)).toBe("E_SWITCH_PRIMARY");
    expect(back.conns.length).toBeGreaterThanOrEqual(2); // the probe, then the session
  }, 15_000);

  const refuseAuth = (conn: { send(l: string): void }, msg: { id?: unknown; method?: string }) => {
    if (msg.method !== "mining.authorize") return false;
    conn.send(resultLine(msg.id, false, [24, "unauthorized worker", null]));
    return true;
  };
  test.each([
    ["authorize refused", { onLine: (conn, _l, msg) => refuseAuth(conn, msg) }, "E_AUTH_FAILED", {}],
    [
      "a protocol error",
      {
        onLine: (conn, _l, msg) => {
          if (msg.method !== "mining.authorize") return false;
          conn.send(resultLine(msg.id, true));
          conn.raw("this is not json\n");
          return true;
        },
      },
      "E_POOL_PROTOCOL",
      {},
    ],
    [
      "no job after authorize",
      {
        onLine: (conn, _l, msg) => {
          if (msg.method !== "mining.subscribe") return false;
          conn.send(resultLine(msg.id, [null, conn.xn1, 28])); // and never a notify
          return true;
        },
      },
      "E_NO_JOB",
      { noJobTimeoutMs: 100 },
    ],
  ] as [string, FakePoolOptions, UpstreamErrorCode, Partial<PoolClientOptions>][])(
    "%s: the backup at once, the primary not retried",
    async (_n, faulty, code, o) => {
      const primary = pool(faulty);
      const backup = pool();
      const { c, log } = client([primary.url, backup.url], { returnToPrimary: false, ...o });
      await log.until(() => c.poolIndex === 1 && working(c, log), "work from the backup");
      expect(disconnects(log)).toEqual([code]);
      expect(waits(log)).toEqual([{ delayMs: 0, reason: "failover" }]);
      expect(primary.conns).toHaveLength(1);
    },
  );

  test("a primary that accepts and then says nothing: the backup within urgentWorkTimeoutMs", async () => {
    const primary = pool({ onLine: () => true }); // never a word
    const backup = pool();
    const { c, log } = client(
      [primary.url, backup.url],
      { returnToPrimary: false, urgentWorkTimeoutMs: 300 },
      true,
    );
    const t = performance.now();
    await log.until(() => c.poolIndex === 1 && working(c, log), "work from the backup", 3000);
    expect(performance.now() - t).toBeLessThan(2000); // not the 2 s subscribe timeout
    expect(disconnects(log)).toEqual(["E_NO_JOB"]);
    expect(waits(log)).toEqual([{ delayMs: 0, reason: "failover" }]);
  });

  test("miners arriving during a silent handshake hurry it", async () => {
    const primary = pool({ onLine: () => true });
    const backup = pool();
    const { c, log } = client([primary.url, backup.url], {
      returnToPrimary: false,
      urgentWorkTimeoutMs: 100,
      subscribeTimeoutMs: 60_000,
    });
    await log.until(
      () => primary.conns.length === 1 && primary.conns[0]!.lines.length === 1,
      "the subscribe at the pool",
    );
    c.setUrgent(true);
    await log.until(() => c.poolIndex === 1 && working(c, log), "work from the backup", 3000);
    expect(disconnects(log)).toEqual(["E_NO_JOB"]);
  });

  test("abandon(): closed at once (not authorized a moment longer), the backup at once", async () => {
    const primary = pool();
    const backup = pool();
    const { c, log } = client([primary.url, backup.url], { returnToPrimary: false });
    let authorizedAfterAbandon: boolean | null = null;
    await log.until(() => working(c, log), "work from the primary");
    c.abandon(new UpstreamError("E_POOL_UNUSABLE", "extranonce1 too long for the leases"));
    authorizedAfterAbandon = c.authorized;
    expect(authorizedAfterAbandon).toBe(false);
    await log.until(() => c.poolIndex === 1 && working(c, log), "work from the backup");
    expect(disconnects(log)).toEqual(["E_POOL_UNUSABLE"]);
    expect(waits(log)).toEqual([{ delayMs: 0, reason: "failover" }]);
    expect(primary.conns).toHaveLength(1);
  });

  test("abandon() from inside the extranonce event (before the job): same", async () => {
    const primary = pool();
    const backup = pool();
    const log = new EventLog();
    const c: PoolClient<number> = new PoolClient<number>(
      {
        pools: [primary.url, backup.url],
        user: "RAddr.test",
        returnToPrimary: false,
        random: () => 0,
      },
      (e) => {
        log.listener(e);
        if (e.type === "extranonce" && e.pool === primary.url)
          c.abandon(new UpstreamError("E_POOL_UNUSABLE", "extranonce1 too long"));
      },
    );
    cleanups.push(() => c.close());
    c.start();
    await log.until(() => c.poolIndex === 1 && working(c, log), "work from the backup");
    expect(log.of("job").every((j) => j.extranonce1 === backup.conns[0]!.xn1)).toBe(true);
    expect(log.of("state").filter((s) => s.state === "authorized")).toHaveLength(1);
    expect(disconnects(log)).toEqual(["E_POOL_UNUSABLE"]);
  });

  test("an unusable primary is not returned to at the next probe (held for 5 probe intervals)", async () => {
    const primary = pool({ onLine: (conn, _l, msg) => refuseAuth(conn, msg) });
    const backup = pool();
    let clock = 0; // the hold is measured on the client's clock: frozen, then moved past it
    const { c, log } = client([primary.url, backup.url], { primaryProbeIntervalMs: 20, now: () => clock });
    await log.until(() => c.poolIndex === 1 && working(c, log), "work from the backup");
    await log.until(() => primary.conns.length >= 4, "three probes of the primary answered");
    expect(c.poolIndex).toBe(1);
    expect(disconnects(log)).toEqual(["E_AUTH_FAILED"]);
    clock = 5 * 20; // the hold is over: the next probe leads back (and the primary, still refusing, is left)
    await log.until(() => disconnects(log).length >= 3, "back to the primary and off it again");
    expect(disconnects(log).slice(0, 3)).toEqual(["E_AUTH_FAILED", "E_SWITCH_PRIMARY", "E_AUTH_FAILED"]);
  });

  test("every pool unusable: one round at once, then the backoff (never a tight loop)", async () => {
    const refuse = {
      onLine: (conn: { send(l: string): void }, _l: string, msg: { id?: unknown; method?: string }) =>
        refuseAuth(conn, msg),
    };
    const a = pool(refuse);
    const b = pool(refuse);
    const { log } = client([a.url, b.url], { backoff: { baseMs: 20, maxMs: 20 } });
    await log.until(() => waits(log).length >= 4, "four waits");
    expect(waits(log).slice(0, 4)).toEqual([
      { delayMs: 0, reason: "failover" },
      { delayMs: 20, reason: "failover" },
      { delayMs: 20, reason: "failover" },
      { delayMs: 20, reason: "failover" },
    ]);
  });

  test("a single unusable pool is retried with the backoff", async () => {
    const p = pool({ onLine: (conn, _l, msg) => refuseAuth(conn, msg) });
    const { log } = client([p.url], { backoff: { baseMs: 20, maxMs: 20 } });
    await log.until(() => waits(log).length >= 2, "two waits");
    expect(waits(log).slice(0, 2)).toEqual([
      { delayMs: 20, reason: "backoff" },
      { delayMs: 20, reason: "backoff" },
    ]);
  });
});

describe("what the pool says that we refuse", () => {
  test("client.reconnect to a foreign host: a coded warning, the connection stays and keeps working", async () => {
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (msg.method !== "mining.authorize") return false;
        conn.send(resultLine(msg.id, true));
        conn.send(
          JSON.stringify({ id: null, method: "client.reconnect", params: ["evil.example.com", 3333, 0] }),
        );
        return true;
      },
    });
    const { c, log } = client([p.url]);
    await log.until(() => log.of("warning").length === 1 && working(c, log), "the warning");
    expect(log.of("warning")[0]).toMatchObject({ pool: p.url, error: { code: "E_POOL_REDIRECT_REFUSED" } });
    const job = log.of("job")[0]!;
    c.submit(share(job.epoch, job.job.id), 7);
    await log.until(() => log.of("result").length === 1, "the share's answer");
    expect(log.of("result")[0]!.outcome).toEqual({ status: "accepted" });
    expect(disconnects(log)).toEqual([]);
    expect(p.conns).toHaveLength(1);
  });

  test("set_difficulty 1e300 and set_target 0: coded warnings with the pool, target kept, no disconnect", async () => {
    const p = pool({
      onLine: (conn, _l, msg) => {
        if (msg.method !== "mining.authorize") return false;
        conn.send(resultLine(msg.id, true));
        conn.send(JSON.stringify({ id: null, method: "mining.set_difficulty", params: [1e300] }));
        conn.send(JSON.stringify({ id: null, method: "mining.set_target", params: ["0".repeat(64)] }));
        conn.send(JSON.stringify({ id: null, method: "mining.set_difficulty", params: [0] }));
        return true;
      },
    });
    const { c, log } = client([p.url]);
    await log.until(() => log.of("warning").length === 3 && working(c, log), "three warnings");
    expect(log.of("warning").map((w) => [w.pool, w.error.code])).toEqual([
      [p.url, "E_POOL_DIFFICULTY"],
      [p.url, "E_POOL_DIFFICULTY"],
      [p.url, "E_POOL_DIFFICULTY"],
    ]);
    expect(log.of("target").map((t) => t.difficulty)).toEqual([2]);
    expect(disconnects(log)).toEqual([]);
  });
});

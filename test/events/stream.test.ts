// EventStream against a real redis-server: entries with the documented fields in order, MAXLEN
// trimming, and Redis stopped mid-run — publish never throws, the buffer stays bounded, drops are
// counted, one warning per outage — then started again: buffered events arrive, in order.

import { RedisClient } from "bun";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { EventStream, type BridgeEvent, type EventStreamOptions } from "../../src/events/index.ts";
import type { Logger } from "../../src/util/log.ts";
import { codeOf } from "../support/errors.ts";
import { freePort } from "../support/processes.ts";
import { startRedis, type Redis } from "../support/redis.ts";

let redis: Redis;
let reader: RedisClient;
const open: EventStream[] = [];
const rejections: unknown[] = [];
const onRejection = (e: unknown) => void rejections.push(e);

beforeAll(async () => {
  process.on("unhandledRejection", onRejection);
  redis = await startRedis();
  reader = new RedisClient(redis.url);
  await reader.connect();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  expect(rejections).toEqual([]);
});
afterAll(async () => {
  process.off("unhandledRejection", onRejection);
  reader.close();
  await redis.destroy();
});

type Line = { level: string; message: string };
function levelLogger(lines: Line[]): Logger {
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

let streams = 0;
function openStream(o: Partial<EventStreamOptions> & { log?: Logger } = {}): { s: EventStream; key: string } {
  const key = `test:events:${++streams}`;
  const s = EventStream.open({
    url: redis.url,
    stream: key,
    maxLen: 1_000_000,
    buffer: 10_000,
    log: levelLogger([]),
    source: "b1",
    ...o,
  });
  open.push(s);
  return { s, key: o.stream ?? key };
}

/** Polls `check` every 10 ms for at most `ms`; the last check's failure otherwise. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await Bun.sleep(10);
  }
}

function share(i: number): BridgeEvent {
  return {
    type: "share",
    worker: `w${i}`,
    session: i,
    transport: "ws-json",
    verdict: "accepted",
    difficulty: 1,
    stale: false,
    forwarded: false,
  };
}

async function seqs(key: string): Promise<number[]> {
  const entries = await reader.xrange(key, "-", "+");
  return entries.map(([, f]) => Number(f[f.indexOf("seq") + 1]));
}

describe("EventStream", () => {
  test("every event type lands as one entry, fields in the documented order", async () => {
    const { s, key } = openStream({ clock: () => 1_700_000_000_000 });
    s.publish({
      type: "share",
      worker: "RA.w1",
      session: 3,
      transport: "stratum",
      verdict: "rejected",
      code: 23,
      reason: "low difficulty",
      stale: false,
      forwarded: false,
    });
    s.publish({ type: "pool_result", worker: "RA.w1", session: 3, job: "9f", result: "accepted" });
    s.publish({ type: "block", worker: "RA.w1", height: 3_000_001, hash: "0000ab", result: "accepted" });
    s.publish({
      type: "upstream",
      upstream: 1,
      state: "failover",
      pool: "stratum+tcp://b.example:9999",
      detail: "primary lost",
    });
    await eventually(() => s.counters().published === 4);
    const fields = (await reader.xrange(key, "-", "+")).map(([, f]) => f);
    const head = (type: string, seq: number) => [
      "type",
      type,
      "at",
      "1700000000000",
      "bridge",
      "b1",
      "seq",
      String(seq),
    ];
    expect(fields).toEqual([
      [
        ...head("share", 1),
        "worker",
        "RA.w1",
        "session",
        "3",
        "transport",
        "stratum",
        "verdict",
        "rejected",
        "code",
        "23",
        "reason",
        "low difficulty",
        "stale",
        "false",
        "forwarded",
        "false",
      ],
      [...head("pool_result", 2), "worker", "RA.w1", "session", "3", "job", "9f", "result", "accepted"],
      [...head("block", 3), "worker", "RA.w1", "height", "3000001", "hash", "0000ab", "result", "accepted"],
      [
        ...head("upstream", 4),
        "upstream",
        "1",
        "state",
        "failover",
        "pool",
        "stratum+tcp://b.example:9999",
        "detail",
        "primary lost",
      ],
    ]);
    expect(s.counters()).toEqual({ published: 4, dropped: 0, buffered: 0, connected: true });
  });

  test("MAXLEN ~ trims the oldest entries (in whole stream nodes: a little over the cap)", async () => {
    const { s, key } = openStream({ maxLen: 100 });
    for (let i = 0; i < 2_000; i++) s.publish(share(i));
    await eventually(() => s.counters().published === 2_000);
    const len = await reader.xlen(key);
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThanOrEqual(300);
    const kept = await seqs(key);
    expect(kept.at(-1)).toBe(2_000); // the newest are kept
  });

  test("close() delivers what was published just before", async () => {
    const { s, key } = openStream();
    for (let i = 0; i < 300; i++) s.publish(share(i));
    await s.close();
    expect(await seqs(key)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    s.publish(share(0)); // after close: dropped, not thrown
    expect(s.counters()).toMatchObject({ published: 300, dropped: 1, buffered: 0, connected: false });
  });

  test("Redis stopped: publish never throws, the buffer holds, drops are counted, one warning; restarted: events resume in order", async () => {
    const lines: Line[] = [];
    const { s, key } = openStream({ buffer: 50, log: levelLogger(lines) });
    for (let i = 0; i < 10; i++) s.publish(share(i));
    await eventually(() => s.counters().published === 10);

    await redis.stop("SIGKILL");
    await eventually(() => !s.counters().connected);
    // 200 events into a buffer of 50: 50 wait, 150 are dropped; not one throws.
    for (let i = 0; i < 200; i++) s.publish(share(i));
    expect(s.counters()).toEqual({ published: 10, dropped: 150, buffered: 50, connected: false });
    await Bun.sleep(1_500); // several reconnect attempts (backoff from 100 ms)
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(lines[0]!.message).toContain("unreachable");

    await redis.start(); // empty: --save '' kept nothing
    await eventually(() => s.counters().connected && s.counters().buffered === 0);
    for (let i = 0; i < 5; i++) s.publish(share(i));
    await eventually(() => s.counters().published === 65);
    // The buffered 50 (seq 11..60) first, in order, then the new ones (seq 211..215): the gap is the drops.
    expect(await seqs(key)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => 11 + i),
      211,
      212,
      213,
      214,
      215,
    ]);
    expect(s.counters()).toEqual({ published: 65, dropped: 150, buffered: 0, connected: true });
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(lines.filter((l) => l.level === "info").map((l) => l.message)).toEqual([
      "events: Redis reachable again",
    ]);
  }, 30_000);

  test("Redis hung (SIGSTOP): the connection is given up after replyTimeoutMs; resumed: every event arrives, in order, maybe twice", async () => {
    const lines: Line[] = [];
    const { s, key } = openStream({ replyTimeoutMs: 300, log: levelLogger(lines) });
    for (let i = 0; i < 10; i++) s.publish(share(i));
    await eventually(() => s.counters().published === 10);
    redis.pause();
    try {
      for (let i = 0; i < 20; i++) s.publish(share(i));
      await eventually(() => !s.counters().connected);
      expect(s.counters()).toMatchObject({ published: 10, dropped: 0, buffered: 20 });
    } finally {
      redis.resume();
    }
    await eventually(() => s.counters().published === 30);
    // XADDs the hung server had already read run when it resumes: at-least-once, deduped by seq.
    const seen = await seqs(key);
    expect([...new Set(seen)]).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
  }, 30_000);

  test("Redis refuses the XADD (the key is not a stream): one warning, events kept, then delivered", async () => {
    const lines: Line[] = [];
    const key = "test:events:not-a-stream";
    await reader.set(key, "a string");
    const { s } = openStream({ stream: key, log: levelLogger(lines) });
    for (let i = 0; i < 3; i++) s.publish(share(i));
    await eventually(() => lines.length > 0);
    expect(lines[0]!.level).toBe("warn");
    expect(s.counters()).toMatchObject({ published: 0, dropped: 0, buffered: 3 });
    await reader.del(key);
    await eventually(() => s.counters().published === 3);
    expect(await seqs(key)).toEqual([1, 2, 3]);
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
  }, 30_000);

  test("Redis not there at all: publish buffers, close() gives up within its bound and counts the rest dropped", async () => {
    const lines: Line[] = [];
    const s = EventStream.open({
      url: `redis://127.0.0.1:${freePort()}`,
      stream: "k",
      maxLen: 10,
      buffer: 5,
      log: levelLogger(lines),
      source: "b",
      closeTimeoutMs: 300,
    });
    for (let i = 0; i < 8; i++) s.publish(share(i));
    expect(s.counters()).toEqual({ published: 0, dropped: 3, buffered: 5, connected: false });
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(s.counters()).toEqual({ published: 0, dropped: 8, buffered: 0, connected: false });
    expect(lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      "events: Redis unreachable, buffering events (dropped beyond the buffer)",
      "events: closing with events not delivered to Redis",
    ]);
  });

  test("bad settings are E_EVENTS_CONFIG", () => {
    const base = {
      url: "redis://127.0.0.1:1",
      stream: "k",
      maxLen: 10,
      buffer: 10,
      log: levelLogger([]),
      source: "b",
    };
    expect(codeOf(() => EventStream.open({ ...base, url: "http://x" }))).toBe("E_EVENTS_CONFIG");
    expect(codeOf(() => EventStream.open({ ...base, url: "not a url" }))).toBe("E_EVENTS_CONFIG");
    expect(codeOf(() => EventStream.open({ ...base, maxLen: 0 }))).toBe("E_EVENTS_CONFIG");
    expect(codeOf(() => EventStream.open({ ...base, buffer: 1.5 }))).toBe("E_EVENTS_CONFIG");
    expect(codeOf(() => EventStream.open({ ...base, stream: "" }))).toBe("E_EVENTS_CONFIG");
  });
});

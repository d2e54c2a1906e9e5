// The event stream end to end (issue 12, "Event stream"): `vbridge bridge` with [events] on a real
// Redis, miners mining through it. Share verdicts and the upstream's state reach the stream with the
// documented fields; Redis killed mid-run never touches mining (acknowledgements keep coming); when
// it is back, the events buffered meanwhile arrive and new ones follow.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { FIELDS } from "../../src/events/schema.ts";
import { Hasher } from "../../src/hash/index.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { linesLogger } from "../support/log.ts";
import { startRedis, type Redis } from "../support/redis.ts";
import { BridgeProcess, tempDir, until } from "./stack.ts";
import { WsMiner } from "./ws-miner.ts";

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
const STREAM = "test:events";
const TEST_MS = 90_000;

let redis: Redis;
let pool: PoolServer;
let bridge: BridgeProcess;
let hasher: Hasher;
const dir = tempDir();
const miners: WsMiner[] = [];

beforeAll(async () => {
  redis = await startRedis();
  hasher = Hasher.open("auto");
  pool = PoolServer.start({
    port: 0,
    difficulty: 1000,
    seed: 13,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    summaryIntervalSeconds: null,
    log: linesLogger([]),
  });
  bridge = await BridgeProcess.start({
    pool: `stratum+tcp://127.0.0.1:${pool.port}`,
    user: `${ADDRESS}.bridge`,
    dir: dir.path,
    bridge: {
      ws_difficulty: 0.004,
      ws_share_interval: 0.1,
      min_difficulty: 0.001,
      max_shares_per_second: 100,
    },
    extra: `[events]\nredis = "${redis.url}"\nstream = "${STREAM}"`,
  });
}, TEST_MS);

afterAll(async () => {
  for (const m of miners) m.close();
  await bridge?.stop();
  pool?.stop();
  await redis?.destroy();
  hasher?.close();
  dir.remove();
}, TEST_MS);

/** Every entry of the stream as an object of its fields. */
async function entries(): Promise<Record<string, string>[]> {
  const client = new RedisClient(redis.url);
  try {
    const raw = (await client.send("XRANGE", [STREAM, "-", "+"])) as [string, string[]][];
    return raw.map(([, fields]) => {
      const o: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) o[fields[i]!] = fields[i + 1]!;
      return o;
    });
  } finally {
    client.close();
  }
}

const accepted = (es: Record<string, string>[]) =>
  es.filter((e) => e.type === "share" && e.verdict === "accepted" && e.worker!.startsWith(`${ADDRESS}.ev`));

test(
  "verdicts and upstream changes reach Redis; Redis down never touches mining; events resume",
  async () => {
    for (const kind of ["msgpack", "json"] as const)
      miners.push(await WsMiner.open(kind, bridge.port, `${ADDRESS}.ev-${kind}`, hasher));
    for (const m of miners) m.startMining(50, 2);
    await until(async () => accepted(await entries()).length >= 4, "share events in the stream", 30_000);
    const first = await entries();
    const up = first.find((e) => e.type === "upstream" && e.state === "serving");
    expect(up).toMatchObject({ upstream: "1", pool: `stratum+tcp://127.0.0.1:${pool.port}` });
    const share = accepted(first)[0]!;
    // The documented order (schema.ts FIELDS): the common fields, then the share's own present ones.
    const own = FIELDS.share.map(([name]) => name).filter((n) => n in share);
    expect(Object.keys(share)).toEqual(["type", "at", "bridge", "seq", ...own]);
    expect(own).toEqual(["worker", "session", "transport", "verdict", "difficulty", "stale", "forwarded"]);
    expect(Number(share.difficulty)).toBeGreaterThan(0);

    // Redis crashes: mining goes on. (A pause around the kill: every acknowledgement counted after
    // it is for a share credited after it.)
    for (const m of miners) m.stopMining();
    await until(() => miners.every((m) => m.pending === 0), "the shares in flight answered", 20_000);
    const acksAtStop = miners.reduce((a, m) => a + m.accepted, 0);
    await redis.stop("SIGKILL");
    const stoppedAt = Date.now();
    for (const m of miners) m.startMining(50, 2);
    await until(
      () => miners.reduce((a, m) => a + m.accepted, 0) >= acksAtStop + 10,
      "ten more acknowledgements with Redis down",
      30_000,
    );
    const stats = (await bridge.stats()) as unknown as { events: { connected: boolean; buffered: number } };
    expect(stats.events.connected).toBe(false);
    expect(stats.events.buffered).toBeGreaterThan(0);

    // Back (empty: nothing was persisted): what waited arrives, then new events follow.
    await redis.start();
    const restartedAt = Date.now();
    await until(
      async () => accepted(await entries()).some((e) => Number(e.at) > restartedAt + 500),
      "share events after the restart",
      30_000,
    );
    for (const m of miners) m.stopMining();
    await until(() => miners.every((m) => m.pending === 0), "every share answered", 20_000);
    const acksDuringOutage = miners.reduce((a, m) => a + m.accepted, 0) - acksAtStop;
    await Bun.sleep(500); // the last events' XADD
    const after = accepted(await entries()).filter((e) => Number(e.at) >= stoppedAt);
    const distinct = new Set(after.map((e) => `${e.bridge}/${e.seq}`));
    expect(distinct.size).toBeGreaterThanOrEqual(acksDuringOutage);
    expect(miners.every((m) => !m.isClosed)).toBe(true);
  },
  TEST_MS,
);

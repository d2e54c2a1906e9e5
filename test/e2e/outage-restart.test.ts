// outage-restart.test.ts — issue 10 §1, §3, §4, §6: the only pool dies and comes back on the same
// port, with the same or a new extranonce1, through a real bridge (startBridgeStack + the
// downstream servers) with one miner of every kind: msgpack and seed-JSON WebSocket, Stratum with
// and without mining.extranonce.subscribe. Asserted: fresh work ≤ 2 s after the pool listens
// again, /health 503 within 5 s of the loss and 200 after, no WebSocket or xnsub disconnect, what
// each kind was sent for a new extranonce1. Default client options: what a user gets.

import { afterEach, expect, test } from "bun:test";
import { FaultPool } from "../support/fault-pool.ts";
import {
  HealthWatch,
  minersOfEveryKind,
  startOutageStack,
  StratumLight,
  until,
  WsLight,
  type LightMiner,
  type OutageStack,
} from "./outage-stack.ts";

const DOWN_SECONDS = 3;
/** Issue 10: fresh work ≤ 2 s after the pool listens; /health 503 ≤ 5 s after the loss. */
const FRESH_WORK_MS = 2000;
const HEALTH_503_MS = 5000;

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
}, 60_000);

function track<T extends { stop(): unknown }>(x: T): T {
  cleanup.push(() => x.stop());
  return x;
}

function closeAll(miners: LightMiner[]): void {
  cleanup.push(() => miners.forEach((m) => m.close()));
}

async function restartScenario(newXn1: string | undefined) {
  const pool = track(new FaultPool());
  const s: OutageStack = track(startOutageStack([pool]));
  const miners = await minersOfEveryKind(s, newXn1 === undefined ? "same" : "new");
  closeAll(miners);
  await until(() => pool.live().length === 1, "the bridge's pool session");
  const watch = track(new HealthWatch(s));
  await until(() => watch.samples.some((x) => x.status === 200), "/health 200 before the outage");
  const before = miners.map((m) => m.works.at(-1)!);

  await pool.dieFor(DOWN_SECONDS, newXn1 === undefined ? {} : { extranonce1: newXn1 });
  const downAt = pool.downAt.at(-1)!;
  const upAt = pool.upAt.at(-1)!;
  // Fresh work: a job received after the pool listened again (bounded wait, then measured).
  await until(
    () => miners.filter((m) => m.closedAt === null).every((m) => m.workSince(upAt)),
    "fresh work at the miners still connected",
    15_000,
  ).catch(() => {});
  await until(() => watch.first(200, upAt) !== null, "/health 200 after the pool came back", 15_000);
  await Bun.sleep(300);
  await watch.stop();
  return { pool, s, miners, before, downAt, upAt, watch };
}

test("pool down 3 s, back with the same extranonce1: fresh work ≤ 2 s at every miner, /health 503 then 200, no disconnects", async () => {
  const { miners, downAt, upAt, watch, pool } = await restartScenario(undefined);
  const [mp, js, xn, st] = miners as [WsLight, WsLight, StratumLight, StratumLight];

  const first503 = watch.first(503, downAt);
  expect(first503).not.toBeNull();
  expect(first503!.at - downAt).toBeLessThanOrEqual(HEALTH_503_MS);
  expect(watch.first(200, upAt)).not.toBeNull();
  expect(watch.samples.at(-1)!.status).toBe(200);

  for (const m of [mp, js, xn, st]) {
    const w = m.workSince(upAt);
    expect({ kind: m.kind, fresh: w !== null }).toEqual({ kind: m.kind, fresh: true });
    expect({ kind: m.kind, ms: Math.min(Math.round(w!.at - upAt), 99_999) }.ms).toBeLessThanOrEqual(
      FRESH_WORK_MS,
    );
    expect(w!.clean).toBe(true);
  }
  // No work while the pool was gone (no backup): both WebSocket kinds were told so (a pause/idle
  // message of the protocol, whatever its name), not left hashing dead work.
  for (const m of [mp, js])
    expect({
      kind: m.kind,
      told: m.others.some(
        (o) => o.at >= downAt && o.at <= upAt && !["result", "pong", "welcome", "error"].includes(o.type),
      ),
    }).toEqual({ kind: m.kind, told: true });
  // Same extranonce1: nobody needs a new lease or a reconnect.
  for (const m of miners)
    expect({ kind: m.kind, closed: m.closedAt }).toEqual({ kind: m.kind, closed: null });
  // The new job is the new process's first one: the same id the old one started with.
  expect(pool.jobId).toBe("1");
}, 60_000);

test("pool back with a new extranonce1: every session re-leased in-band (msgpack, JSON, set_extranonce), plain Stratum sent client.reconnect", async () => {
  const NEW_XN1 = "2aaaaaa0";
  const { miners, upAt, before, s } = await restartScenario(NEW_XN1);
  const [mp, js, xn, st] = miners as [WsLight, WsLight, StratumLight, StratumLight];

  // WebSocket and xnsub miners stay connected and work under the new pool extranonce1.
  for (const m of [mp, js, xn])
    expect({ kind: m.kind, closed: m.closedAt }).toEqual({ kind: m.kind, closed: null });
  const mpWork = mp.workSince(upAt);
  expect(mpWork).not.toBeNull();
  expect(mpWork!.prefix.startsWith(NEW_XN1)).toBe(true);
  expect(mpWork!.at - upAt).toBeLessThanOrEqual(FRESH_WORK_MS);
  const jsWork = js.workSince(upAt);
  expect(jsWork).not.toBeNull();
  expect(jsWork!.prefix.startsWith(NEW_XN1)).toBe(true);
  expect(jsWork!.prefix).not.toBe(before[1]!.prefix);
  expect(jsWork!.at - upAt).toBeLessThanOrEqual(FRESH_WORK_MS);
  // xnsub: mining.set_extranonce with the new pool extranonce1, then a clean notify.
  const setXn = xn.others.find((o) => o.type === "mining.set_extranonce" && o.at >= upAt);
  expect(setXn).toBeDefined();
  expect(String((setXn!.body as unknown[])[0]).startsWith(NEW_XN1)).toBe(true);
  const xnWork = xn.workSince(upAt);
  expect(xnWork).not.toBeNull();
  expect(xnWork!.at - upAt).toBeLessThanOrEqual(FRESH_WORK_MS);
  // Plain Stratum: client.reconnect to the bridge itself (or, at least, not a silent drop).
  await until(
    () => st.others.some((o) => o.type === "client.reconnect"),
    "client.reconnect at the plain Stratum miner",
    10_000,
  ).catch(() => {});
  const rc = st.others.find((o) => o.type === "client.reconnect");
  expect(rc).toBeDefined();
  const [host, port] = (rc!.body as unknown[]) ?? [];
  // Same host or empty (= same), and the bridge's Stratum port or empty (= same).
  expect(host === "" || host === null || host === undefined || host === "127.0.0.1").toBe(true);
  expect(port === "" || port === null || port === undefined || Number(port) === s.ds.stratumPort).toBe(true);
  // The bridge counted no session end as released/full.
  expect(s.logs.some((l) => /E_BRIDGE_FULL/.test(l.text))).toBe(false);
}, 60_000);

// outage-failover.test.ts — issue 10 §2, §6, §7, §9 through a real bridge (startBridgeStack + the
// downstream servers) on fault pools: failover to a second pool ≤ 5 s after the primary drops or
// turns unusable (too-long extranonce1 at subscribe or by set_extranonce, never answering
// subscribe, closing after each reply, authorize refused) and the return to the primary; no wedge
// (new miners are taken, work flows); /health 503 within 5 s when nothing serves; client.reconnect
// followed only to the same host; extreme upstream difficulties logged with a code and counted.
// Which pool a miner works on is read from its prefix (the pool's extranonce1 starts it).

import { afterEach, expect, test } from "bun:test";
import { FaultPool, type FaultMode } from "../support/fault-pool.ts";
import {
  ADDRESS,
  HealthWatch,
  startOutageStack,
  StratumLight,
  until,
  WsLight,
  type OutageStack,
} from "./outage-stack.ts";

const XN_A = "1ffffff0";
const XN_B = "3cccccc0";
/** Seven bytes or more: with the 2 lease bytes, more than a Verus miner's 8-byte extranonce1 room. */
const XN_LONG = "0102030405060708";
/** Issue 10: work from the backup ≤ 5 s after the primary drops; /health 503 ≤ 5 s after the loss. */
const FAILOVER_MS = 5000;
const HEALTH_503_MS = 5000;

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

function pool(o: ConstructorParameters<typeof FaultPool>[0]): FaultPool {
  const p = new FaultPool(o);
  cleanup.push(() => p.stop());
  return p;
}

function stack(pools: FaultPool[], client = {}): OutageStack {
  // Return to the primary is probed every second here (60 s by default) so the test stays short.
  const s = startOutageStack(pools, {}, { primaryProbeIntervalMs: 1000, ...client });
  cleanup.push(() => s.stop());
  return s;
}

async function wsMiner(s: OutageStack, name: string): Promise<WsLight> {
  const m = await WsLight.open("msgpack", s.ds.port, `${ADDRESS}.${name}`);
  cleanup.push(() => m.close());
  return m;
}

async function xnMiner(s: OutageStack, name: string): Promise<StratumLight> {
  const m = await StratumLight.open(s.ds.stratumPort!, `${ADDRESS}.${name}`, true);
  cleanup.push(() => m.close());
  return m;
}

/** The first work at or after t under this pool extranonce1. */
function workOn(m: WsLight | StratumLight, xn1: string, t: number) {
  return m.works.find((w) => w.at >= t && w.prefix.startsWith(xn1)) ?? null;
}

async function waitWorkOn(ms: (WsLight | StratumLight)[], xn1: string, t: number, what: string) {
  await until(() => ms.every((m) => workOn(m, xn1, t) !== null), what, 15_000).catch(() => {});
  return ms.map((m) => {
    const w = workOn(m, xn1, t);
    return w === null ? Infinity : Math.round(w.at - t);
  });
}

test("primary killed: backup's work at the miners ≤ 5 s; primary back: return to it; no disconnects", async () => {
  const a = pool({ extranonce1: XN_A });
  const b = pool({ extranonce1: XN_B });
  const s = stack([a, b]);
  const ws = await wsMiner(s, "fo-ws");
  const xn = await xnMiner(s, "fo-xn");
  await until(() => workOn(ws, XN_A, 0) !== null && workOn(xn, XN_A, 0) !== null, "work from the primary");

  a.kill();
  const killedAt = a.downAt.at(-1)!;
  const toBackup = await waitWorkOn([ws, xn], XN_B, killedAt, "work from the backup");
  expect(toBackup.every((ms) => ms <= FAILOVER_MS)).toBe(true);

  a.restart();
  const backAt = a.upAt.at(-1)!;
  const toPrimary = await waitWorkOn([ws, xn], XN_A, backAt, "work from the primary again");
  expect(toPrimary.every((ms) => Number.isFinite(ms))).toBe(true);
  expect([ws.closedAt, xn.closedAt]).toEqual([null, null]);
}, 60_000);

async function unusablePrimary(mode: FaultMode | "long-xn1") {
  const a = pool(mode === "long-xn1" ? { extranonce1: XN_LONG } : { extranonce1: XN_A, mode });
  const b = pool({ extranonce1: XN_B });
  const startedAt = performance.now();
  const s = stack([a, b]);
  const ws = await wsMiner(s, `u-${mode}`);
  const xn = await xnMiner(s, `u-${mode}-xn`);
  const ms = await waitWorkOn([ws, xn], XN_B, startedAt, "work from the backup");
  return { a, b, s, ws, xn, ms };
}

for (const mode of ["long-xn1", "silent", "close-after-reply", "refuse-authorize"] as const) {
  test(`unusable primary (${mode}) at start: the backup serves the miners ≤ 5 s, the primary never counts as up`, async () => {
    const { s, ms } = await unusablePrimary(mode);
    expect(ms.every((x) => x <= FAILOVER_MS)).toBe(true);
    expect(s.stack.bridge.health().ok).toBe(true);
    // Not wedged: twenty more miners are taken and get work.
    const more = await Promise.all(Array.from({ length: 20 }, (_, i) => wsMiner(s, `more-${mode}-${i}`)));
    await until(() => more.every((m) => m.works.length > 0), "work at 20 new miners", 10_000);
    expect(more.filter((m) => m.closedAt !== null).length).toBe(0);
  }, 60_000);
}

test("too-long extranonce1 by mining.set_extranonce mid-session: failover to the backup ≤ 5 s, not wedged", async () => {
  const a = pool({ extranonce1: XN_A });
  const b = pool({ extranonce1: XN_B });
  const s = stack([a, b]);
  const ws = await wsMiner(s, "sx-ws");
  const xn = await xnMiner(s, "sx-xn");
  await until(() => workOn(ws, XN_A, 0) !== null && workOn(xn, XN_A, 0) !== null, "work from the primary");
  const t = performance.now();
  a.setExtranonce(XN_LONG);
  const ms = await waitWorkOn([ws, xn], XN_B, t, "work from the backup");
  expect(ms.every((x) => x <= FAILOVER_MS)).toBe(true);
  const late = await wsMiner(s, "sx-late");
  await until(() => late.works.length > 0, "work at a new miner", 10_000);
  expect(late.works[0]!.prefix.startsWith(XN_B)).toBe(true);
  expect([ws.closedAt, xn.closedAt, late.closedAt]).toEqual([null, null, null]);
}, 60_000);

for (const fault of ["killed", "long-xn1", "silent", "close-after-reply"] as const) {
  test(`single pool ${fault}: /health 503 within 5 s (with a reason), not wedged: miners are still taken`, async () => {
    const a = pool({ extranonce1: XN_A });
    const s = stack([a]);
    const ws = await wsMiner(s, `h-${fault}`);
    await until(() => ws.works.length > 0, "first work");
    const watch = new HealthWatch(s);
    cleanup.push(() => watch.stop());
    await until(() => watch.samples.some((x) => x.status === 200), "/health 200");
    const t = performance.now();
    if (fault === "killed") a.kill();
    else if (fault === "long-xn1") a.setExtranonce(XN_LONG);
    else a.restart({ mode: fault }); // drops the session; every reconnect meets the fault
    await until(() => watch.first(503, t) !== null, "/health 503", 10_000).catch(() => {});
    const first = watch.first(503, t);
    expect(first).not.toBeNull();
    expect(first!.at - t).toBeLessThanOrEqual(HEALTH_503_MS);
    expect(first!.body.length).toBeGreaterThan(0);
    // It stays 503 while the fault lasts (sampled for 2 s): never "authorized" again by mistake.
    const from = performance.now();
    await Bun.sleep(2000);
    expect(watch.samples.filter((x) => x.at >= from).every((x) => x.status === 503)).toBe(true);
    // New miners are taken (no E_BRIDGE_FULL): they wait for work.
    const late = await wsMiner(s, `h-${fault}-late`);
    await Bun.sleep(300);
    expect(late.closedAt).toBeNull();
  }, 60_000);
}

test("client.reconnect to a foreign host is ignored (session kept, work flows); to the same host it is followed", async () => {
  const a = pool({ extranonce1: XN_A });
  const b = pool({ extranonce1: XN_B }); // same host (127.0.0.1), another port
  const s = stack([a], { returnToPrimary: false });
  const ws = await wsMiner(s, "rc");
  await until(() => a.live().length === 1 && ws.works.length > 0, "the pool session and work");
  const conn = a.live()[0]!;

  a.reconnect("192.0.2.7", 3333);
  await Bun.sleep(1000);
  expect(conn.closed).toBe(false);
  expect(s.stack.bridge.health().ok).toBe(true);
  const t = performance.now();
  const id = a.newJob();
  await until(
    () => ws.works.some((w) => w.at >= t && w.jobId === id),
    "the next job after the ignored reconnect",
  );

  a.reconnect("127.0.0.1", b.port);
  await until(() => b.live().length >= 1, "a session at the same host's other port", 10_000).catch(() => {});
  expect(b.live().length).toBeGreaterThanOrEqual(1);
}, 60_000);

const EXTREMES: [string, (p: FaultPool) => void][] = [
  ["set_difficulty 0", (p) => p.setDifficulty(0)],
  ["set_difficulty -1", (p) => p.setDifficulty(-1)],
  ["set_difficulty NaN (null on the wire)", (p) => p.setDifficulty(NaN)],
  ["set_difficulty 1e300", (p) => p.setDifficulty(1e300)],
  ["set_target 0", (p) => p.setTarget(0n)],
];

for (const [name, send] of EXTREMES) {
  test(`upstream ${name}: a coded error in the log and in /stats, never silent; work keeps flowing`, async () => {
    const a = pool({ extranonce1: XN_A });
    const s = stack([a]);
    const ws = await wsMiner(s, "xd");
    await until(() => a.live().length === 1 && ws.works.length > 0, "the pool session and work");
    const statsBefore = JSON.stringify(await s.stats());
    const t = performance.now();
    send(a);
    const id = a.newJob();
    await until(
      () =>
        s.logs.some(
          (l) => l.at >= t && (l.level === "warn" || l.level === "error") && /E_[A-Z0-9_]+/.test(l.text),
        ),
      "a coded warning",
      5000,
    ).catch(() => {});
    const coded = s.logs.filter(
      (l) => l.at >= t && (l.level === "warn" || l.level === "error") && /E_[A-Z0-9_]+/.test(l.text),
    );
    expect(coded.length).toBeGreaterThanOrEqual(1);
    // /stats shows it: some coded error there that was not there before.
    const codesBefore = new Set(statsBefore.match(/E_[A-Z0-9_]+/g) ?? []);
    const codesAfter = JSON.stringify(await s.stats()).match(/E_[A-Z0-9_]+/g) ?? [];
    expect(
      codesAfter.some((c) => !codesBefore.has(c)) ||
        codesAfter.length > (statsBefore.match(/E_[A-Z0-9_]+/g) ?? []).length,
    ).toBe(true);
    // Not wedged: the next job still reaches the miner, or the pool was dropped (then /health says so).
    await until(
      () => ws.works.some((w) => w.at >= t && w.jobId === id) || !s.stack.bridge.health().ok,
      "the next job or an honest /health",
      10_000,
    );
    expect(ws.closedAt).toBeNull();
  }, 60_000);
}

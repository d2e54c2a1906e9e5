// outage-scale.test.ts — issue 10 §3 at scale: 1,000 WebSocket sessions (500 msgpack, 500 seed
// JSON) and 20 Stratum sessions (10 with mining.extranonce.subscribe, 10 without) on one bridge
// when the pool changes its extranonce1 (mining.set_extranonce, then again by a restart): no
// WebSocket or xnsub miner is disconnected, each gets work under the new extranonce1, and the
// plain Stratum miners are sent client.reconnect spread over at least 2 s (never all at once).

import { afterAll, expect, test } from "bun:test";
import { FaultPool } from "../support/fault-pool.ts";
import { ADDRESS, startOutageStack, StratumLight, until, WsLight, type LightMiner } from "./outage-stack.ts";

const WS_SESSIONS = 1000;
const STRATUM_EACH = 10;
const SPREAD_MS = 2000;

const opened: LightMiner[] = [];
const pool = new FaultPool({ extranonce1: "1ffffff0" });
const s = startOutageStack([pool]);
afterAll(async () => {
  for (const m of opened) m.close();
  await s.stop();
  pool.stop();
});

async function openWs(n: number): Promise<WsLight[]> {
  const out: WsLight[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, (_, k) =>
        WsLight.open((i + k) % 2 === 0 ? "msgpack" : "json", s.ds.port, `${ADDRESS}.s${i + k}`),
      ),
    );
    out.push(...batch);
    opened.push(...batch);
  }
  return out;
}

/**
 * When a plain Stratum miner reconnects if it follows what it was told after t: client.reconnect's
 * time plus its wait (params[2], seconds), or its close when it was dropped instead.
 */
function goneAt(m: StratumLight, t: number): number | null {
  const rc = m.others.find((o) => o.type === "client.reconnect" && o.at >= t);
  if (rc !== undefined) {
    const wait = Number((rc.body as unknown[])[2] ?? 0);
    return rc.at + (Number.isFinite(wait) && wait > 0 ? wait * 1000 : 0);
  }
  return m.closedAt !== null && m.closedAt >= t ? m.closedAt : null;
}

for (const how of ["mining.set_extranonce", "a restart with a new extranonce1"] as const) {
  test(`1,000 WebSocket + 20 Stratum across an extranonce1 change (${how}): 0 WS/xnsub disconnects, plain reconnects spread ≥ 2 s`, async () => {
    for (const m of opened.splice(0)) m.close();
    const ws = await openWs(WS_SESSIONS);
    const xn: StratumLight[] = [];
    const st: StratumLight[] = [];
    for (let i = 0; i < STRATUM_EACH; i++) {
      xn.push(await StratumLight.open(s.ds.stratumPort!, `${ADDRESS}.xn${i}`, true));
      st.push(await StratumLight.open(s.ds.stratumPort!, `${ADDRESS}.st${i}`, false));
    }
    opened.push(...xn, ...st);
    const all: LightMiner[] = [...ws, ...xn, ...st];
    await until(() => all.every((m) => m.works.length > 0), "first work at every session", 30_000);

    const newXn1 = how === "mining.set_extranonce" ? "2dddddd0" : "2eeeeee0";
    const t = performance.now();
    if (how === "mining.set_extranonce") {
      pool.setExtranonce(newXn1);
      pool.newJob();
    } else await pool.dieFor(0.5, { extranonce1: newXn1 });

    const reLeased = (m: LightMiner) => m.works.some((w) => w.at >= t && w.prefix.startsWith(newXn1));
    await until(() => [...ws, ...xn].every(reLeased), "work under the new extranonce1", 20_000).catch(
      () => {},
    );
    await until(
      () => st.every((m) => goneAt(m, t) !== null),
      "every plain Stratum miner told to go",
      20_000,
    ).catch(() => {});

    const wsClosed = ws.filter((m) => m.closedAt !== null).length;
    const xnClosed = xn.filter((m) => m.closedAt !== null).length;
    const notReLeased = [...ws, ...xn].filter((m) => !reLeased(m)).length;
    const gone = st.map((m) => goneAt(m, t)).filter((x): x is number => x !== null);
    const spread = gone.length > 0 ? Math.max(...gone) - Math.min(...gone) : 0;
    expect({ wsClosed, xnClosed, notReLeased }).toEqual({ wsClosed: 0, xnClosed: 0, notReLeased: 0 });
    expect(gone.length).toBe(STRATUM_EACH);
    // Told by client.reconnect (to the bridge itself), not dropped.
    const told = st.filter((m) => m.others.some((o) => o.type === "client.reconnect" && o.at >= t)).length;
    expect({ told, spreadMs: Math.round(spread) }).toEqual({
      told: STRATUM_EACH,
      spreadMs: expect.any(Number),
    });
    expect(spread).toBeGreaterThanOrEqual(SPREAD_MS);
    // The xnsub miners were told in-band.
    expect(xn.every((m) => m.others.some((o) => o.type === "mining.set_extranonce" && o.at >= t))).toBe(true);
  }, 60_000);
}

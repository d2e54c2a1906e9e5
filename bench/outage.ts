// bench/outage.ts — issue 10's numbers: the bridge (startBridgeStack + the downstream servers, in
// this process, loopback) on fault pools (test/support/fault-pool.ts), with miners of every kind.
//
// (a) single pool down --down-seconds (25): the time from the pool listening again to fresh work at
//     each miner (p50 / max over --miners light miners: msgpack, JSON, Stratum with and without
//     extranonce.subscribe), and the verdicts of the shares mining miners sent throughout
//     (invalid = code 20: must be 0).
// (b) two pools, the primary killed every --period seconds (60) for --cycles cycles (5), down
//     --primary-down seconds (20) each time, WebSocket miners at ~1 share/s: stale + rejected % of
//     shares, and the time from each kill to work from the backup at the miners (p50 / max).
//     The bridge probes the primary every --probe-seconds (5) to return to it between kills.
//
// `make bench-outage` (BENCH_SECONDS=N shortens both: down N s, period N + 10 s, 2 cycles), or
// `bun bench/outage.ts --down-seconds 5 --cycles 2 --period 15 ...`. Numbers, not pass/fail.
// The mining miners (test/e2e/ws-miner.ts) keep hashing their last job while the bridge has no
// work (a page pauses): their stale count is an upper bound of what a page would send.

import { parseArgs } from "node:util";
import { Hasher } from "../src/hash/index.ts";
import { FaultPool } from "../test/support/fault-pool.ts";
import {
  ADDRESS,
  startOutageStack,
  StratumLight,
  until,
  WsLight,
  type LightMiner,
  type OutageStack,
} from "../test/e2e/outage-stack.ts";
import { WsMiner } from "../test/e2e/ws-miner.ts";

const { values: a } = parseArgs({
  options: {
    part: { type: "string", default: "ab" },
    "down-seconds": { type: "string", default: "25" },
    miners: { type: "string", default: "40" },
    mining: { type: "string", default: "10" },
    cycles: { type: "string", default: "5" },
    period: { type: "string", default: "60" },
    "primary-down": { type: "string", default: "20" },
    "probe-seconds": { type: "string", default: "5" },
    "new-xn1": { type: "boolean", default: false },
    /** BENCH_SECONDS: one knob for a short run (down N s, primary down N s, period N + 10 s, 2 cycles). */
    seconds: { type: "string" },
  },
});
if (a.seconds !== undefined) {
  const n = Number(a.seconds);
  a["down-seconds"] = String(n);
  a["primary-down"] = String(n);
  a.period = String(n + 10);
  a.cycles = "2";
}
const num = (k: keyof typeof a) => Number(a[k]);

const hasher = Hasher.open("auto");
/** The light miners send nothing after their handshake: no idle timeout within the run. */
const SETTINGS = {
  "bridge.ws_difficulty": 0.01,
  "bridge.max_shares_per_second": 100,
  "bridge.idle_timeout": 3600,
};

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : "never");

/** Light miners (timing only), a quarter of each kind. */
async function lightMiners(s: OutageStack, n: number, tag: string): Promise<LightMiner[]> {
  const out: LightMiner[] = [];
  for (let i = 0; i < n; i++) {
    const w = `${ADDRESS}.${tag}${i}`;
    const k = i % 4;
    out.push(
      k === 0
        ? await WsLight.open("msgpack", s.ds.port, w)
        : k === 1
          ? await WsLight.open("json", s.ds.port, w)
          : await StratumLight.open(s.ds.stratumPort!, w, k === 2),
    );
  }
  await until(() => out.every((m) => m.works.length > 0), "first work at the light miners", 30_000);
  return out;
}

/** WebSocket miners that hash (native scan) and send a share about once a second each. */
async function miningMiners(s: OutageStack, n: number, tag: string): Promise<WsMiner[]> {
  const out: WsMiner[] = [];
  for (let i = 0; i < n; i++) {
    const m = await WsMiner.open(
      i % 2 === 0 ? "msgpack" : "json",
      s.ds.port,
      `${ADDRESS}.${tag}${i}`,
      hasher,
    );
    m.startMining(1000, 2);
    out.push(m);
  }
  return out;
}

/** "msgpack 0/10, json 0/10, …": closed of opened, per kind. */
function closedByKind(ms: LightMiner[]): string {
  const kinds = [...new Set(ms.map((m) => m.kind))];
  return kinds
    .map((k) => {
      const of = ms.filter((m) => m.kind === k);
      return `${k} ${of.filter((m) => m.closedAt !== null).length}/${of.length}`;
    })
    .join(", ");
}

function verdictCounts(ms: WsMiner[]) {
  const c = { shares: 0, accepted: 0, stale: 0, invalid: 0, otherRejected: 0 };
  for (const m of ms)
    for (const v of m.verdicts) {
      c.shares++;
      if (v.accepted) c.accepted++;
      else if (v.code === 21) c.stale++;
      else if (v.code === 20) c.invalid++;
      else c.otherRejected++;
    }
  return c;
}

async function partA(): Promise<void> {
  const down = num("down-seconds");
  const pool = new FaultPool({ extranonce1: "1ffffff0" });
  const s = startOutageStack([pool], SETTINGS);
  try {
    const light = await lightMiners(s, num("miners"), "a");
    const mining = await miningMiners(s, num("mining"), "am");
    await Bun.sleep(2000);
    await pool.dieFor(down, a["new-xn1"] ? { extranonce1: "2aaaaaa0" } : {});
    const upAt = pool.upAt.at(-1)!;
    const connected = () => light.filter((m) => m.closedAt === null);
    await until(() => connected().every((m) => m.workSince(upAt) !== null), "fresh work", 30_000).catch(
      () => {},
    );
    const lat = connected().map((m) => (m.workSince(upAt)?.at ?? Infinity) - upAt);
    await Bun.sleep(3000);
    for (const m of mining) m.stopMining();
    await Bun.sleep(500);
    const c = verdictCounts(mining);
    const st = s.stack.bridge.stats().shares;
    console.log(`(a) single pool down ${down} s${a["new-xn1"] ? ", back with a new extranonce1" : ""}`);
    console.log(
      `    pool listening again → fresh work at ${lat.length} miners (of ${light.length}): p50 ${ms(pct(lat, 50))}, max ${ms(Math.max(...lat))}`,
    );
    for (const kind of ["msgpack", "json", "stratum-xnsub", "stratum"]) {
      const k = connected()
        .filter((m) => m.kind === kind)
        .map((m) => (m.workSince(upAt)?.at ?? Infinity) - upAt);
      console.log(`      ${kind.padEnd(14)} p50 ${ms(pct(k, 50))}, max ${ms(Math.max(...k))}`);
    }
    console.log(
      `    disconnected: ${closedByKind(light)}, mining WS ${mining.filter((m) => m.isClosed).length}/${mining.length} (plain Stratum miners are told client.reconnect on a new extranonce1; these do not come back)`,
    );
    console.log(
      `    shares of ${mining.length} mining WS miners: ${c.shares} sent, ${c.accepted} accepted, ${c.stale} stale (21), invalid (20): ${c.invalid}, other rejected: ${c.otherRejected}`,
    );
    console.log(
      `    bridge /stats: rejected by code ${JSON.stringify(st.rejectedByCode)}, stale ${st.stale}, accepted ${st.accepted}`,
    );
    for (const m of [...light, ...mining]) m.close();
  } finally {
    await s.stop();
    pool.stop();
  }
}

async function partB(): Promise<void> {
  const cycles = num("cycles");
  const period = num("period");
  const primaryDown = Math.min(num("primary-down"), period - 1);
  const A = "1ffffff0";
  const B = "3cccccc0";
  const primary = new FaultPool({ extranonce1: A });
  const backup = new FaultPool({ extranonce1: B });
  const s = startOutageStack([primary, backup], SETTINGS, {
    primaryProbeIntervalMs: num("probe-seconds") * 1000,
  });
  try {
    const light = await lightMiners(s, num("miners"), "b");
    const mining = await miningMiners(s, num("mining"), "bm");
    const toBackup: number[] = [];
    const toPrimary: number[] = [];
    const onPool = (m: LightMiner, xn: string, t: number) =>
      m.works.find((w) => w.at >= t && w.prefix.startsWith(xn)) ?? null;
    const wsLight = () =>
      light.filter((m) => m.closedAt === null && (m.kind === "msgpack" || m.kind === "json"));
    const start = verdictCounts(mining);
    for (let c = 0; c < cycles; c++) {
      const cycleStart = performance.now();
      // On the primary before each kill (bounded; a miss shows as "never" below).
      await until(
        () => wsLight().every((m) => m.works.at(-1)?.prefix.startsWith(A) === true),
        "on the primary",
        30_000,
      ).catch(() => {});
      primary.kill();
      const t = primary.downAt.at(-1)!;
      await until(() => wsLight().every((m) => onPool(m, B, t) !== null), "on the backup", 15_000).catch(
        () => {},
      );
      for (const m of wsLight()) toBackup.push((onPool(m, B, t)?.at ?? Infinity) - t);
      await Bun.sleep(Math.max(0, primaryDown * 1000 - (performance.now() - t)));
      primary.restart();
      const up = primary.upAt.at(-1)!;
      await until(
        () => wsLight().every((m) => onPool(m, A, up) !== null),
        "back on the primary",
        (period - primaryDown) * 1000,
      ).catch(() => {});
      for (const m of wsLight()) toPrimary.push((onPool(m, A, up)?.at ?? Infinity) - up);
      await Bun.sleep(Math.max(0, period * 1000 - (performance.now() - cycleStart)));
    }
    for (const m of mining) m.stopMining();
    await Bun.sleep(500);
    const end = verdictCounts(mining);
    const shares = end.shares - start.shares;
    const bad =
      end.stale - start.stale + end.invalid - start.invalid + end.otherRejected - start.otherRejected;
    console.log(
      `(b) two pools, primary killed every ${period} s for ${cycles} cycles (down ${primaryDown} s each; primary probed every ${num("probe-seconds")} s)`,
    );
    console.log(
      `    shares of ${mining.length} WS miners at ~1/s: ${shares}, stale ${end.stale - start.stale}, invalid ${end.invalid - start.invalid}, other rejected ${end.otherRejected - start.otherRejected}: stale + rejected ${((100 * bad) / Math.max(1, shares)).toFixed(2)} %`,
    );
    console.log(
      `    kill → work from the backup (${toBackup.length} samples): p50 ${ms(pct(toBackup, 50))}, max ${ms(Math.max(...toBackup))}`,
    );
    console.log(
      `    primary listening → work from it again (${toPrimary.length} samples): p50 ${ms(pct(toPrimary, 50))}, max ${ms(Math.max(...toPrimary))}`,
    );
    console.log(
      `    disconnected: ${closedByKind(light)}, mining WS ${mining.filter((m) => m.isClosed).length}/${mining.length} (plain Stratum miners are told client.reconnect on a new extranonce1; these do not come back)`,
    );
    for (const m of [...light, ...mining]) m.close();
  } finally {
    await s.stop();
    primary.stop();
    backup.stop();
  }
}

if (a.part!.includes("a")) await partA();
if (a.part!.includes("b")) await partB();
hasher.close();
process.exit(0);

// A fleet (issue 12, "Many boxes"): two `vbridge bridge` processes on one real PostgreSQL ledger,
// behind a real HAProxy running docs/deploy.md's fleet snippet (leastconn, PROXY v2, /health checks), one pool. Miners connect to
// HAProxy only; they land on both bridges; each bridge heartbeats into the database and
// /stats?scope=fleet on either shows both; what the miners were told was accepted adds up, exactly,
// to the shares in the shared ledger.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Hasher } from "../../src/hash/index.ts";
import { Ledger } from "../../src/ledger/index.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { startHaproxy, type Haproxy } from "../support/haproxy.ts";
import { linesLogger } from "../support/log.ts";
import { startPostgres, type Postgres } from "../support/postgres.ts";
import { freePort } from "../support/processes.ts";
import { snippet, substitute } from "./deploy-snippets.ts";
import { BridgeProcess, tempDir, until } from "./stack.ts";
import { WsMiner } from "./ws-miner.ts";

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
const MINERS = 8;
const TEST_MS = 120_000;
const LEDGER_QUEUE = 100;

interface FleetBody {
  readAt: number | null;
  bridges: { id: string; stats: { sessions: number; accepted: number } }[];
  totals: { bridges: number; sessions: number; accepted: number };
}

let pg: Postgres;
let pool: PoolServer;
let haproxy: Haproxy;
let hasher: Hasher;
const dirs: ReturnType<typeof tempDir>[] = [];
const bridges: BridgeProcess[] = [];
const miners: WsMiner[] = [];
let frontPort = 0;
let statsPort = 0;

beforeAll(async () => {
  pg = await startPostgres();
  hasher = Hasher.open("auto");
  pool = PoolServer.start({
    port: 0,
    difficulty: 1000,
    seed: 12,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    summaryIntervalSeconds: null,
    log: linesLogger([]),
  });
  for (const name of ["fleet-a", "fleet-b"]) {
    const dir = tempDir();
    dirs.push(dir);
    bridges.push(
      await BridgeProcess.start({
        pool: `stratum+tcp://127.0.0.1:${pool.port}`,
        user: `${ADDRESS}.bridge`,
        dir: dir.path,
        bridge: {
          ledger: pg.url,
          name,
          // HAProxy sends PROXY headers (send-proxy-v2); the test's own /health and /stats do not.
          proxy_protocol: "optional",
          // Small, so the PostgreSQL outage below fills it.
          ledger_queue: LEDGER_QUEUE,
          ws_difficulty: 0.004,
          ws_share_interval: 0.1,
          min_difficulty: 0.001,
          max_shares_per_second: 100,
        },
      }),
    );
  }
  frontPort = freePort();
  const [a, b] = bridges as [BridgeProcess, BridgeProcess];
  // docs/deploy.md's fleet HAProxy, as written, with this test's addresses and ports.
  statsPort = freePort();
  haproxy = await startHaproxy({
    conf:
      `listen stats\n    mode http\n    bind 127.0.0.1:${statsPort}\n    stats enable\n    stats uri /\n\n` +
      substitute("haproxy-fleet", snippet("haproxy-fleet"), [
        ["bind :8080", `bind 127.0.0.1:${frontPort}`],
        ["bind :3333", `bind 127.0.0.1:${freePort()}`],
        ["10.0.0.11:8080", `127.0.0.1:${a.port}`],
        ["10.0.0.12:8080", `127.0.0.1:${b.port}`],
        ["10.0.0.11:3333", `127.0.0.1:${a.stratumPort}`],
        ["10.0.0.12:3333", `127.0.0.1:${b.stratumPort}`],
      ]),
  });
  // The snippet's health checks (GET /health with a PROXY header) have passed on every server.
  await until(
    async () => {
      const csv = await (await fetch(`http://127.0.0.1:${statsPort}/;csv`)).text();
      const servers = csv.split("\n").filter((l) => /^vbridge_(ws|stratum),box\d,/.test(l));
      return servers.length === 4 && servers.every((l) => l.split(",")[17] === "UP");
    },
    "HAProxy's health checks: every server UP",
    30_000,
  );
}, TEST_MS);

afterAll(async () => {
  for (const m of miners) m.close();
  await haproxy?.stop();
  for (const b of bridges) await b.stop();
  pool?.stop();
  await pg?.remove();
  hasher?.close();
  for (const d of dirs) d.remove();
}, TEST_MS);

async function fleet(b: BridgeProcess): Promise<FleetBody> {
  const r = await fetch(`http://127.0.0.1:${b.port}/stats?scope=fleet`, {
    signal: AbortSignal.timeout(5000),
  });
  if (r.status !== 200) throw new Error(`/stats?scope=fleet answered ${r.status}: ${await r.text()}`);
  return (await r.json()) as FleetBody;
}

describe("two bridges, one PostgreSQL, behind HAProxy", () => {
  test(
    "miners spread over both; the fleet view shows both; acknowledgements = the ledger's shares",
    async () => {
      for (let i = 0; i < MINERS; i++) {
        const kind = i % 2 === 0 ? "msgpack" : "json";
        miners.push(await WsMiner.open(kind, frontPort, `${ADDRESS}.f${i}`, hasher));
      }
      // leastconn: each bridge holds half of them.
      const sessions = await Promise.all(bridges.map(async (b) => (await b.stats()).sessions));
      const perBridge = sessions.map((s) => s["ws-msgpack"] + s["ws-json"] + s.stratum);
      expect(perBridge).toEqual([MINERS / 2, MINERS / 2]);

      for (const m of miners) m.startMining(50, 2);
      await until(() => miners.every((m) => m.accepted >= 3), "three accepted shares per miner", 60_000);
      for (const m of miners) m.stopMining();
      await until(() => miners.every((m) => m.pending === 0), "every share answered", 20_000);

      // The heartbeats: each bridge sees both (a beat every 5 s; a read follows each beat).
      for (const b of bridges) {
        await until(
          async () => (await fleet(b)).bridges.length === 2,
          "both bridges in the fleet view",
          20_000,
        );
      }
      const view = await fleet(bridges[0]!);
      expect(view.bridges.map((r) => r.id.split(":")[0]).sort()).toEqual(["fleet-a", "fleet-b"]);
      expect(view.totals.bridges).toBe(2);

      // Exactly once: the miners' acknowledgements are the ledger's credited shares.
      const acks = miners.reduce((a, m) => a + m.accepted, 0);
      const ledger = Ledger.open(pg.url);
      try {
        await ledger.ready;
        const totals = await ledger.totals();
        const credited = totals
          .filter((t) => t.worker.startsWith(`${ADDRESS}.f`))
          .reduce((a, t) => a + t.accepted, 0);
        expect(credited).toBe(acks);
        // Both bridges wrote into it: each miner's worker has its own row.
        expect(totals.filter((t) => t.worker.startsWith(`${ADDRESS}.f`)).length).toBe(MINERS);
      } finally {
        await ledger.close();
      }
      const perBridgeAccepted = await Promise.all(
        bridges.map(async (b) => (await b.stats()).shares.accepted),
      );
      expect(perBridgeAccepted.every((n) => n > 0)).toBe(true);
      expect(perBridgeAccepted[0]! + perBridgeAccepted[1]!).toBe(acks);
    },
    TEST_MS,
  );

  test(
    "PostgreSQL crashes (-m immediate) and comes back: no acknowledged share lost, the queue bound held, miners stay",
    async () => {
      const b = bridges[0]!;
      const ms: WsMiner[] = [];
      for (let i = 0; i < 4; i++) ms.push(await WsMiner.open("msgpack", b.port, `${ADDRESS}.pg${i}`, hasher));
      miners.push(...ms);
      for (const m of ms) m.startMining(20, 60);
      await until(() => ms.every((m) => m.accepted >= 2), "shares credited before the crash", 30_000);

      await pg.stop("immediate");
      let maxQueued = 0;
      let degraded = false;
      const end = Date.now() + 4000;
      while (Date.now() < end) {
        const stats = (await b.stats()) as unknown as { ledger: { queued: number } };
        maxQueued = Math.max(maxQueued, stats.ledger.queued);
        const h = (await (await fetch(`http://127.0.0.1:${b.port}/health`)).json()) as { status?: string };
        degraded ||= h.status === "degraded";
        await Bun.sleep(100);
      }
      expect(degraded).toBe(true);
      expect(maxQueued).toBeGreaterThan(0);
      expect(maxQueued).toBeLessThanOrEqual(LEDGER_QUEUE);
      // Beyond the bound, shares were refused with 20 ("share ledger unavailable"), never acknowledged.
      expect(ms.some((m) => m.verdicts.some((v) => !v.accepted && v.code === 20))).toBe(true);

      await pg.start();
      for (const m of ms) m.stopMining();
      await until(
        () => ms.every((m) => m.pending === 0),
        "every waiting share answered after recovery",
        60_000,
      );
      expect(ms.every((m) => !m.isClosed)).toBe(true);

      const acks = ms.reduce((a, m) => a + m.accepted, 0);
      const ledger = Ledger.open(pg.url);
      try {
        await ledger.ready;
        const credited = (await ledger.totals())
          .filter((t) => t.worker.startsWith(`${ADDRESS}.pg`))
          .reduce((a, t) => a + t.accepted, 0);
        expect(credited).toBe(acks);
      } finally {
        await ledger.close();
      }
    },
    TEST_MS,
  );
});

// workers.test.ts — `vbridge bridge` with bridge.workers = 2, real processes on loopback: the
// supervisor and two workers sharing the HTTP/WebSocket port (SO_REUSEPORT) on the built-in pool
// (started once, in the supervisor); browser miners (test/e2e/ws-miner.ts: real VerusHash shares
// at a tiny difficulty) spread over both; the box's /stats and /metrics add up; SIGHUP reaches the
// workers; kill -9 of a worker while 200 sessions submit: it is started again, and the ledger
// holds exactly the shares the miners were told were accepted; SIGTERM stops everything (exit 0,
// no process left). Every wait is a bound, never what a test measures.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { Hasher } from "../../src/hash/index.ts";
import { tempDir, until } from "../e2e/stack.ts";
import { WsMiner, type WsKind } from "../e2e/ws-miner.ts";
import { ClusterProcess, running, sample, sumOf, type BoxStats } from "./cluster-process.ts";
import { acceptedByWorker } from "./ledger-check.ts";

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
const WAIT_MS = 60_000;
const TEST_MS = 240_000;
/** Browser miners at a tiny difficulty (a share is a few dozen hashes); room for all of them. */
const BRIDGE = {
  ws_difficulty: 0.004,
  ws_share_interval: 0.1,
  min_difficulty: 0.001,
  max_shares_per_second: 100,
  max_connections_per_ip: 1000,
};

let hasher: Hasher | null = null;
const theHasher = () => (hasher ??= Hasher.open("auto"));
/** What the running test opened: closed after it, whatever happened. */
let opened: { close(): void | Promise<unknown> }[] = [];
afterEach(async () => {
  for (const c of opened.reverse()) await c.close();
  opened = [];
}, WAIT_MS);
afterAll(() => hasher?.close?.());

async function startCluster(): Promise<ClusterProcess> {
  const dir = tempDir();
  const c = await ClusterProcess.start({ dir: dir.path, workers: 2, bridge: BRIDGE }).catch((e) => {
    dir.remove();
    throw e;
  });
  opened.push({
    close: async () => {
      await c.stop();
      dir.remove();
    },
  });
  return c;
}

/** `n` miners, opened `batch` at a time. */
async function openMiners(
  c: ClusterProcess,
  n: number,
  name: string,
  kind: (i: number) => WsKind = () => "msgpack",
) {
  const miners: WsMiner[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, (_, k) =>
      WsMiner.open(kind(i + k), c.port, `${ADDRESS}.${name}${i + k}`, theHasher(), WAIT_MS),
    );
    miners.push(...(await Promise.all(batch)));
  }
  opened.push({ close: () => miners.forEach((m) => m.close()) });
  return miners;
}

/**
 * Until the box's /stats satisfies `f` (the other worker's numbers are up to ~2 s old). A request
 * on a keep-alive connection to a worker that was just killed fails: asked again.
 */
async function statsUntil(c: ClusterProcess, f: (s: BoxStats) => boolean, what: string): Promise<BoxStats> {
  let s: BoxStats | null = null;
  await until(
    async () => {
      s = await c.stats().catch(() => null);
      return s !== null && f(s);
    },
    what,
    WAIT_MS,
  );
  return s!;
}

const sessions = (s: BoxStats) => Object.values(s.sessions).reduce((a, n) => a + n, 0);
const acked = (ms: readonly WsMiner[]) => ms.reduce((a, m) => a + m.accepted, 0);

async function explained<T>(c: ClusterProcess | null, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (c !== null) (e as Error).message += `\n${c.logs().slice(-20_000)}`;
    throw e;
  }
}

describe("bridge.workers = 2", () => {
  test(
    "both workers serve one port; the box's /stats and /metrics are the sums; SIGHUP reaches them; SIGTERM stops all",
    async () => {
      const c = await startCluster();
      await explained(c, async () => {
        const first = await c.stats();
        const pids = first.workers.map((w) => w.pid!);
        expect(new Set(pids).size).toBe(2);
        expect(pids).not.toContain(c.proc.pid);
        // Each worker has its own pool session: its own extranonce1, so disjoint nonce spaces.
        const xn1 = first.upstreams.map((u) => u.extranonce1);
        expect(new Set(xn1).size).toBe(2);

        const miners = await openMiners(c, 40, "s", (i) => (i % 4 === 3 ? "json" : "msgpack"));
        for (const m of miners)
          for (let k = 0; k < 3; k++) expect((await m.submit(m.find())).accepted).toBe(true);
        // The kernel spread the connections: both workers hold sessions.
        const s = await statsUntil(
          c,
          (x) => sessions(x) === 40 && x.workers.every((w) => w.sessions > 0) && x.shares.accepted === 120,
          "40 sessions over both workers, 120 shares",
        );
        expect(s.sessions).toEqual({ "ws-msgpack": 30, "ws-json": 10, stratum: 0 });
        expect(s.workers.reduce((a, w) => a + w.sessions, 0)).toBe(40);
        expect(s.upstreams.reduce((a, u) => a + u.sessions, 0)).toBe(40);
        expect(s.downstream.accepted.ws).toBeGreaterThanOrEqual(40);
        expect(acked(miners)).toBe(120);
        // Every session's prefix starts with its worker's extranonce1, and no two are the same.
        const prefixes = miners.map((m) => [...m.prefixes()][0]!);
        expect(new Set(prefixes).size).toBe(40);
        for (const p of prefixes) expect(xn1.some((x) => p.startsWith(x!))).toBe(true);

        const metrics = await c.metrics();
        expect(sample(metrics, "vbridge_workers")).toBe(2);
        expect(sumOf(metrics, "vbridge_worker_sessions")).toBe(40);
        expect(sumOf(metrics, "vbridge_sessions")).toBe(40);
        expect(sample(metrics, 'vbridge_shares_total{verdict="accepted"}')).toBe(120);
        expect(sumOf(metrics, "vbridge_upstream_connected", "worker=")).toBe(2);

        // SIGHUP: passed on, and every worker says what it did with it.
        c.proc.kill("SIGHUP");
        await until(
          () => c.output.includes("worker 0: SIGHUP") && c.output.includes("worker 1: SIGHUP"),
          "both workers' SIGHUP lines",
          WAIT_MS,
        );
        expect(c.alive).toBe(true);

        miners.forEach((m) => m.close());
        expect(await c.stop()).toBe(0);
        for (const pid of pids) expect({ pid, running: running(pid) }).toEqual({ pid, running: false });
        expect(c.output).toContain("every worker process stopped cleanly");
      });
    },
    TEST_MS,
  );

  test(
    "kill -9 of a worker while 200 sessions submit: started again; the ledger holds exactly the acknowledged shares",
    async () => {
      const c = await startCluster();
      await explained(c, async () => {
        const miners = await openMiners(c, 200, "k");
        for (const m of miners) m.startMining(100, 2);
        await until(() => miners.every((m) => m.accepted >= 2), "every session credited twice", WAIT_MS);
        const before = await statsUntil(
          c,
          (x) => x.workers.every((w) => w.sessions > 0),
          "sessions on both workers",
        );
        const victim = before.workers[0]!;
        const pids = before.workers.map((w) => w.pid!);

        process.kill(victim.pid!, "SIGKILL");
        // Its miners are cut off; the others keep mining. The supervisor starts it again.
        const after = await statsUntil(
          c,
          (x) =>
            x.workers.every((w) => w.state === "up" && w.ok && w.pid !== null) &&
            x.workers[0]!.pid !== victim.pid,
          "worker 0 serving again with a new pid",
        );
        expect(after.workers[0]!.restarts).toBe(1);
        expect(after.workers[0]!.lastExit).toBe("signal SIGKILL");
        expect((await c.health()).status).toBe(200);
        expect(c.output).toMatch(/worker 0 \(pid \d+\) exited with signal SIGKILL/);
        const cut = miners.filter((m) => m.isClosed);
        const kept = miners.filter((m) => !m.isClosed);
        expect(cut.length).toBeGreaterThan(0);
        expect(kept.length).toBeGreaterThan(0);
        // What the cut-off miners had sent and not heard back about when their worker died.
        const unanswered = new Map(cut.map((m) => [m.worker, m.pending]));

        // New miners land on both workers, the restarted one included, and mine there.
        const late = await openMiners(c, 20, "n");
        for (const m of late) m.startMining(100, 2);
        await statsUntil(
          c,
          (x) =>
            x.workers[0]!.sessions > 0 && x.workers[1]!.sessions > 0 && late.every((m) => m.accepted >= 1),
          "the late miners on both workers, credited",
        );
        const fromKept = acked(kept);
        await until(() => acked(kept) >= fromKept + kept.length, "the survivors still mining", WAIT_MS);

        // At rest: no new shares, every share sent has its answer.
        const live = [...kept, ...late];
        live.forEach((m) => m.stopMining());
        await until(() => live.every((m) => m.pending === 0), "every share answered", WAIT_MS);
        live.forEach((m) => m.close());
        const newPid = after.workers[0]!.pid!;
        expect(await c.stop()).toBe(0);
        for (const pid of [...pids, newPid])
          expect({ pid, running: running(pid) }).toEqual({ pid, running: false });

        const ledger = acceptedByWorker(c.ledger);
        // Lost: acknowledged but not in the ledger. Doubled: in the ledger more often than sent.
        let lost = 0;
        let doubled = 0;
        let inFlightCredited = 0;
        for (const m of live) {
          const n = ledger.get(m.worker) ?? 0;
          lost += Math.max(0, m.accepted - n);
          doubled += Math.max(0, n - m.accepted);
        }
        for (const m of cut) {
          // A share its dead worker had committed but not yet answered is in the ledger without an
          // acknowledgement: at most the shares unanswered at the kill.
          const n = ledger.get(m.worker) ?? 0;
          lost += Math.max(0, m.accepted - n);
          doubled += Math.max(0, n - m.accepted - unanswered.get(m.worker)!);
          inFlightCredited += Math.max(0, n - m.accepted);
        }
        const names = new Set(miners.concat(late).map((m) => m.worker));
        const strangers = [...ledger.keys()].filter((w) => !names.has(w));
        expect({ lost, doubled, strangers }).toEqual({ lost: 0, doubled: 0, strangers: [] });
        const total = [...ledger.values()].reduce((a, n) => a + n, 0);
        expect(total).toBe(acked(miners) + acked(late) + inFlightCredited);
        console.log(
          `kill -9: ${cut.length} sessions cut, ${kept.length} kept, ${late.length} late; ledger ${total} = ${acked(miners) + acked(late)} acknowledged + ${inFlightCredited} committed at the kill, unanswered`,
        );
      });
    },
    TEST_MS,
  );
});

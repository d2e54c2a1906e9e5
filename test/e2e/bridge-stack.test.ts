// The whole stack over loopback, as it runs for real: the built-in pool (in this process, behind a
// recording proxy) ⇄ `vbridge bridge` (its own process, a temporary config and ledger) ⇄ three
// miners at once — a msgpack WebSocket miner, a seed-JSON WebSocket miner (both build their hash
// input from the frames alone and find shares with the native scan) and `vbridge mine` over
// Stratum TCP (behind a second recording proxy).
//
// Five scenarios, each independent of the others and of their order (any one runs alone with -t):
//   1. every miner is credited; pool-target shares reach the pool and are accepted;
//   2. the pool connection drops mid-run: new extranonce1, new leases, clean jobs, old shares 21;
//   3. hardening through the real process: foreign Origin, oversize frame, flood, slow reader —
//      each closes only its own connection while the miners keep being credited;
//   4. at rest, the ledger (read-only, beside the live bridge) matches every acknowledged result
//      exactly; then, mid-traffic, kill -9: every share acknowledged before is on disk;
//   5. the sessions' hash inputs are disjoint across a reconnect, as the pool sees them.
// The pool and the bridge process are shared (started by the first test that needs them), except
// in 4, which kills its bridge and reads its whole ledger, so it gets a stack of its own. Every test
// opens its own miners (own worker names, own Stratum recorder), waits until the shared bridge is
// at rest (earlier connections gone, every forwarded share answered), measures the bridge's and the
// pool's counters from there, and closes what it opened (afterEach).
// Behaviour only: every wait is a generous bound, nothing asserts speed.

import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { Hasher } from "../../src/hash/index.ts";
import { bytesToHex } from "../../src/protocol/index.ts";
import { encode } from "@msgpack/msgpack";
import { encodeClientFrame, MSGPACK_SUBPROTOCOL } from "../../src/protocol/ws-msgpack.ts";
import { Ledger, type WorkerTotals } from "../../src/ledger/index.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { RawWsClient, WsTestClient } from "../downstream/ws-client.ts";
import { BridgeProcess, MineProcess, tempDir, until, type StatsBody } from "./stack.ts";
import { StratumRecorder, type RecordedSubmit } from "../support/stratum-recorder.ts";
import { WsMiner, type Found, type Verdict } from "./ws-miner.ts";
import { linesLogger } from "../support/log.ts";

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
/** The pool's share difficulty: the bridge forwards only shares that meet it. */
const POOL_DIFFICULTY = 32;
/** Bounds for one phase and for one test (a loaded 2-core CI machine is slow, never wrong). */
const WAIT_MS = 60_000;
const TEST_MS = 240_000;
/** Extra credited shares each miner must show after something happened to the stack. */
const MORE = 3;

type LedgerRow = WorkerTotals;

/** The built-in pool behind its recorder, and a bridge process using it. */
interface Stack {
  pool: PoolServer;
  upstream: StratumRecorder; // bridge ⇄ pool
  bridge: BridgeProcess;
  dir: ReturnType<typeof tempDir>;
  poolLog: string[];
}

/** One test's miners: msgpack, JSON, and `vbridge mine` behind its own recorder. */
interface Miners {
  workers: { msgpack: string; json: string; mine: string };
  mp: WsMiner;
  js: WsMiner;
  downstream: StratumRecorder; // vbridge mine ⇄ bridge
  mine: MineProcess;
  /** vbridge mine's submits the bridge accepted / rejected. */
  acks(): RecordedSubmit[];
  rejects(): RecordedSubmit[];
}

let hasher: Hasher | null = null;
let sharedStack: Promise<Stack> | null = null;
/** What the running test opened: closed after it, whatever happened. */
let opened: { close(): void | Promise<unknown> }[] = [];
/** For the failure message: the stack and miners the running test uses. */
let current: { stack: Stack | null; miners: Miners | null } = { stack: null, miners: null };

function theHasher(): Hasher {
  return (hasher ??= Hasher.open("auto"));
}

async function openStack(): Promise<Stack> {
  const dir = tempDir();
  const poolLog: string[] = [];
  // Jobs only when a test makes them (newJob in 3); room for all of them in the pool's table.
  const pool = PoolServer.start({
    port: 0,
    difficulty: POOL_DIFFICULTY,
    seed: 5,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    maxJobs: 20_000,
    summaryIntervalSeconds: null,
    log: linesLogger(poolLog),
  });
  const upstream = new StratumRecorder(pool.port);
  try {
    const bridge = await BridgeProcess.start({
      pool: `stratum+tcp://127.0.0.1:${upstream.port}`,
      user: `${ADDRESS}.bridge`,
      dir: dir.path,
      bridge: {
        // Browser miners at a tiny difficulty (a share is a few dozen hashes), one every ~0.1 s.
        ws_difficulty: 0.004,
        ws_share_interval: 0.1,
        // `vbridge mine` (one thread, ≈ 1–2 MH/s here) starts at a quarter of the pool's difficulty:
        // some of its shares cross the pool's target; vardiff then steers it to ~1 share/s.
        tcp_difficulty: POOL_DIFFICULTY / 4,
        tcp_share_interval: 1,
        min_difficulty: 0.001,
        max_shares_per_second: 100,
      },
    });
    return { pool, upstream, bridge, dir, poolLog };
  } catch (e) {
    upstream.stop();
    pool.stop();
    dir.remove();
    throw e;
  }
}

async function closeStack(s: Stack): Promise<void> {
  s.bridge.kill9();
  await s.bridge.proc.exited;
  s.upstream.stop();
  s.pool.stop();
  s.dir.remove();
}

/** The pool and bridge the tests share, started by the first test that asks. */
async function shared(): Promise<Stack> {
  sharedStack ??= openStack();
  return (current.stack = await sharedStack);
}

/** Miners of this test under worker names of their own (`tag`), closed after the test. */
async function openMiners(s: Stack, tag = ""): Promise<Miners> {
  const workers = {
    msgpack: `${ADDRESS}.mp${tag}`,
    json: `${ADDRESS}.js${tag}`,
    mine: `${ADDRESS}.cpu${tag}`,
  };
  const mp = await WsMiner.open("msgpack", s.bridge.port, workers.msgpack, theHasher());
  opened.push(mp);
  const js = await WsMiner.open("json", s.bridge.port, workers.json, theHasher());
  opened.push(js);
  const downstream = new StratumRecorder(s.bridge.stratumPort);
  opened.push({ close: () => downstream.stop() });
  // #xnsub: the miner asks for mining.extranonce.subscribe, so a new lease reaches it as
  // set_extranonce (without it, the bridge closes it with E_RELEASED and it reconnects).
  const mine = new MineProcess(`stratum+tcp://127.0.0.1:${downstream.port}#xnsub`, workers.mine, 600);
  opened.push({ close: () => mine.stop() });
  const m: Miners = {
    workers,
    mp,
    js,
    downstream,
    mine,
    acks: () => downstream.submits.filter((x) => x.answer === true),
    rejects: () => downstream.submits.filter((x) => typeof x.answer === "number"),
  };
  current.miners = m;
  return m;
}

/** A msgpack client that says hello and takes its first job; its prefix goes to `prefixes`. */
async function msgpackClient(s: Stack, name: string, prefixes: [string, string][]): Promise<WsTestClient> {
  const c = await WsTestClient.open(`ws://127.0.0.1:${s.bridge.port}/ws`, {
    protocols: [MSGPACK_SUBPROTOCOL],
  });
  opened.push(c);
  c.send(encodeClientFrame({ type: "hello", worker: `${ADDRESS}.${name}`, agent: "e2e" }));
  prefixes.push([name, bytesToHex((await c.frame("job", WAIT_MS)).prefix)]);
  return c;
}

/** A share's verdict, within the bound. */
async function verdict(m: WsMiner, f: Found): Promise<Verdict> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no verdict from the ${m.kind} miner's share within ${WAIT_MS} ms`)),
      WAIT_MS,
    );
  });
  try {
    return await Promise.race([m.submit(f), bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Adds the bridge's and the miner's output to an error, so a CI failure says what happened. */
async function explained<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const tail = (s: string) => s.slice(-6000);
    const { stack, miners } = current;
    if (e instanceof Error) {
      e.message += `\n${tail(stack?.bridge.logs() ?? "")}\n${tail(miners?.mine.logs() ?? "")}\n--- pool\n${(stack?.poolLog ?? []).slice(-40).join("\n")}`;
    }
    throw e;
  }
}

/**
 * Waits until the shared bridge is at rest — no connection left from an earlier test, every
 * forwarded share answered — and returns its counters then: the test's baseline.
 */
async function atRest(s: Stack): Promise<StatsBody> {
  let stats = await s.bridge.stats();
  await until(
    async () => {
      stats = await s.bridge.stats();
      const p = stats.pool;
      const quiet =
        Object.values(stats.sessions).every((n) => n === 0) &&
        Object.values(stats.downstream.open).every((n) => n === 0);
      return (
        quiet && s.upstream.unanswered === 0 && p.submitted === p.accepted + p.rejected + p.stale + p.lost
      );
    },
    "the bridge at rest (no connection left, every forwarded share answered)",
    WAIT_MS,
  );
  return stats;
}

/** Counters that changed since `base`, by how much. */
function since(
  now: Partial<Record<string, number>>,
  base: Partial<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) {
    const d = (v ?? 0) - (base[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Every forwarded share has an answer and every miner share a verdict. */
async function settled(s: Stack, m: Miners): Promise<StatsBody> {
  await until(
    () => m.mp.pending === 0 && m.js.pending === 0 && m.downstream.unanswered === 0,
    "every miner share's verdict",
    WAIT_MS,
  );
  let stats = await s.bridge.stats();
  await until(
    async () => {
      stats = await s.bridge.stats();
      const p = stats.pool;
      return s.upstream.unanswered === 0 && p.submitted === p.accepted + p.rejected + p.stale + p.lost;
    },
    "the pool's answer to every forwarded share",
    WAIT_MS,
  );
  return stats;
}

/** The ledger's totals, read beside the running bridge (another connection to its file). */
async function readLedger(bridge: BridgeProcess): Promise<Map<string, LedgerRow>> {
  const ledger = Ledger.open(bridge.ledger);
  try {
    return new Map((await ledger.totals()).map((r) => [r.worker, r]));
  } finally {
    await ledger.close();
  }
}

/** Each miner credited at least once: connected, leased and mining. */
async function mining(m: Miners): Promise<void> {
  m.mp.startMining();
  m.js.startMining();
  await until(
    () => m.mp.accepted >= 1 && m.js.accepted >= 1 && m.acks().length >= 1,
    "every miner's first credited share",
    WAIT_MS,
  );
}

afterEach(async () => {
  const closing = opened.reverse();
  opened = [];
  for (const c of closing) await c.close();
  current = { stack: null, miners: null };
}, TEST_MS);

afterAll(async () => {
  if (sharedStack !== null) await closeStack(await sharedStack);
  hasher?.close();
}, TEST_MS);

describe("the whole stack: built-in pool ⇄ vbridge bridge (a process) ⇄ msgpack, JSON and vbridge mine", () => {
  test(
    "1. all three miners mine at once: shares credited, pool-target ones accepted by the pool",
    async () => {
      const s = await shared();
      await explained(async () => {
        await atRest(s);
        const poolAcceptedBefore = s.pool.stats().accepted;
        const upFrom = s.upstream.submits.length;
        const m = await openMiners(s, "1");
        const { mp, js } = m;
        mp.startMining();
        js.startMining();
        // A share at the pool's target from each browser miner: forwarded (and said so in the result).
        expect(await verdict(mp, mp.find(POOL_DIFFICULTY))).toEqual({ accepted: true, forwarded: true });
        expect(await verdict(js, js.find(POOL_DIFFICULTY))).toEqual({ accepted: true, forwarded: true });
        await until(
          () => mp.accepted >= 5 && js.accepted >= 5 && m.acks().length >= 5,
          "shares credited to every miner",
          WAIT_MS,
        );
        await until(
          () => s.upstream.submits.slice(upFrom).filter((x) => x.answer === true).length >= 3,
          "the pool's acceptances",
          WAIT_MS,
        );
        const stats = await s.bridge.stats();
        expect(stats.sessions).toEqual({ "ws-msgpack": 1, "ws-json": 1, stratum: 1 });
        expect(stats.pool.rejected).toBe(0);
        expect(s.pool.stats().rejected).toBe(0);
        expect(s.pool.stats().accepted - poolAcceptedBefore).toBeGreaterThanOrEqual(3);
        // Nothing was refused: no rejects of any kind, from the bridge or the pool.
        expect([mp.rejected, js.rejected, m.rejects().length]).toEqual([0, 0, 0]);
      });
    },
    TEST_MS,
  );

  test(
    "2. upstream reconnect mid-run: new extranonce1, new leases and clean jobs; old-job shares stale (21); mining goes on",
    async () => {
      const s = await shared();
      await explained(async () => {
        const base = await atRest(s);
        const m = await openMiners(s, "2");
        const { mp, js, downstream } = m;
        await mining(m); // vbridge mine too holds a lease before the drop
        const oldPoolXn1 = s.upstream.currentXn1!;
        // Shares found on the current work but held back until the work has changed.
        const oldMp = mp.find();
        const oldJs = js.find();
        const before = { mp: mp.accepted, js: js.accepted };
        s.upstream.dropAll(); // both sides: the bridge sees its pool connection go, and reconnects
        await until(
          () => s.upstream.currentXn1 !== null && s.upstream.currentXn1 !== oldPoolXn1,
          "a new pool connection with a new extranonce1",
          WAIT_MS,
        );
        const poolXn1 = s.upstream.currentXn1!;
        // Every session: a new lease under the new extranonce1, and a clean job with it.
        const renewed = (w: WsMiner) =>
          w.current !== null && w.current.clean && bytesToHex(w.current.prefix).startsWith(poolXn1);
        await mp.until(() => renewed(mp), "the msgpack miner's new lease", WAIT_MS);
        await js.until(() => renewed(js), "the JSON miner's new lease", WAIT_MS);
        await until(
          () => downstream.extranonces.some(([, x]) => x.startsWith(poolXn1)),
          "vbridge mine's set_extranonce",
          WAIT_MS,
        );
        const mineXn1 = downstream.extranonces.find(([, x]) => x.startsWith(poolXn1))![1];
        await until(
          () => downstream.notifies.some((n) => n.xn1 === mineXn1),
          "vbridge mine's job under its new lease",
          WAIT_MS,
        );
        expect(downstream.notifies.find((n) => n.xn1 === mineXn1)!.clean).toBe(true);
        expect(downstream.connections).toBe(1); // told, not disconnected
        // The held shares: stale work, answered 21 — not lost, not counted as invalid.
        expect(await verdict(mp, oldMp)).toEqual({ accepted: false, code: 21 });
        expect(await verdict(js, oldJs)).toEqual({ accepted: false, code: 21 });
        // Everyone keeps being credited on the new work.
        const mineAfter = () => m.acks().filter((x) => x.xn1 === mineXn1).length;
        await until(
          () => mp.accepted >= before.mp + MORE && js.accepted >= before.js + MORE && mineAfter() >= MORE,
          "credited shares after the reconnect",
          WAIT_MS,
        );
        const stats = await s.bridge.stats();
        expect(stats.upstreams.map((u) => u.extranonce1)).toEqual([poolXn1]);
        // The only rejects anywhere are stale work (21): shares in flight across the switch.
        for (const v of [...mp.verdicts, ...js.verdicts]) if (!v.accepted) expect(v.code).toBe(21);
        for (const x of m.rejects()) expect(x.answer).toBe(21);
        expect(Object.keys(since(stats.shares.rejectedByCode, base.shares.rejectedByCode))).toEqual(["21"]);
        expect(s.pool.stats().rejected).toBe(0);
      });
    },
    TEST_MS,
  );

  test(
    "3. hardening through the real process: foreign Origin, oversize frame, flood, slow reader — only that connection goes",
    async () => {
      const s = await shared();
      await explained(async () => {
        const base = await atRest(s);
        const slowReaders = async () => (await s.bridge.stats()).downstream.closed.E_SLOW_READER ?? 0;
        const slowBefore = base.downstream.closed.E_SLOW_READER ?? 0;
        const m = await openMiners(s, "3");
        const { mp, js } = m;
        await mining(m);
        const before = { mp: mp.accepted, js: js.accepted, mine: m.acks().length };
        const prefixes: [string, string][] = [];
        // A page of another site never gets a socket.
        const foreign = await RawWsClient.connect(s.bridge.port, "/ws", { Origin: "https://evil.example" });
        opened.push(foreign);
        expect(await foreign.status(WAIT_MS)).toBe(403);
        // A message over bridge.max_frame_bytes (4096) closes that connection.
        const big = await msgpackClient(s, "big", prefixes);
        big.send(encode({ v: 1, t: "ping", pad: new Uint8Array(8000) }));
        expect(await big.closed).toEqual({ code: 1009, reason: "E_FRAME_TOO_LARGE" });
        // A flood of messages (far past 10 × max_shares_per_second for 2 s) closes the flooder.
        const flood = await msgpackClient(s, "flood", prefixes);
        for (let i = 0; i < 10_000 && !flood.isClosed; i++)
          flood.send(encodeClientFrame({ type: "ping", seq: i }));
        expect(await flood.closed).toEqual({ code: 4429, reason: "E_RATE_LIMITED" });
        // A client that stops reading: new jobs pile up (≈ 5 KB of JSON each) until the kernel's
        // buffers and then the bridge's 256 KiB are full; it is cut off, not silently skipped.
        const jsonOpen = (await s.bridge.stats()).downstream.open["ws-json"];
        const slow = await RawWsClient.connect(s.bridge.port, "/?protocol=json");
        opened.push(slow);
        expect(await slow.status(WAIT_MS)).toBe(101);
        await until(
          async () => (await s.bridge.stats()).downstream.open["ws-json"] === jsonOpen + 1,
          "the slow reader's session",
          WAIT_MS,
        );
        slow.pause();
        let cut = false;
        for (let i = 0; i < 20_000 && !cut; i++) {
          s.pool.newJob();
          // Let the pipe drain (the pool caps what a reader leaves unread) and look for the cut.
          if (i % 20 === 19) {
            await Bun.sleep(5);
            if (i % 100 === 99) cut = (await slowReaders()) > slowBefore;
          }
        }
        await until(async () => (await slowReaders()) - slowBefore === 1, "the slow reader cut off", WAIT_MS);
        // The process and every other session carry on.
        expect(s.bridge.alive).toBe(true);
        expect(mp.isClosed || js.isClosed).toBe(false);
        await until(
          () =>
            mp.accepted >= before.mp + MORE &&
            js.accepted >= before.js + MORE &&
            m.acks().length >= before.mine + MORE,
          "credited shares after the hardening",
          WAIT_MS,
        );
        const stats = await s.bridge.stats();
        expect(since(stats.downstream.refused, base.downstream.refused)).toEqual({ E_ORIGIN: 1 });
        expect(since(stats.downstream.closed, base.downstream.closed)).toMatchObject({
          E_FRAME_TOO_LARGE: 1,
          E_RATE_LIMITED: 1,
          E_SLOW_READER: 1,
        });
        expect(stats.sessions).toEqual({ "ws-msgpack": 1, "ws-json": 1, stratum: 1 });
        expect(await s.bridge.health()).toBe(200);
      });
    },
    TEST_MS,
  );

  test(
    "4. the ledger matches every acknowledged result exactly, and survives kill -9 of the bridge mid-run",
    async () => {
      // A stack of its own: its ledger holds only this test's workers, and its bridge is killed.
      const s = (current.stack = await openStack());
      opened.push({ close: () => closeStack(s) });
      await explained(async () => {
        const m = await openMiners(s);
        const { mp, js, downstream, workers } = m;
        await mining(m);
        // Pool-target shares too, so that the pool's columns have something to match.
        expect(await verdict(mp, mp.find(POOL_DIFFICULTY))).toEqual({ accepted: true, forwarded: true });
        await until(
          () => mp.accepted >= MORE && js.accepted >= MORE && m.acks().length >= MORE,
          "shares credited to every miner",
          WAIT_MS,
        );
        // At rest: no new shares (the browser miners stop, vbridge mine's submits are held back),
        // and every share sent has its answer.
        mp.stopMining();
        js.stopMining();
        downstream.holdSubmits();
        const stats = await settled(s, m);
        const ledger = await readLedger(s.bridge); // read-only, beside the running bridge (WAL)
        const expected = [
          [workers.msgpack, mp.accepted, mp.rejected],
          [workers.json, js.accepted, js.rejected],
          [workers.mine, m.acks().length, m.rejects().length],
        ] as const;
        for (const [worker, accepted, rejected] of expected)
          expect({ worker, ...pick(ledger.get(worker)) }).toEqual({ worker, accepted, rejected });
        expect([...ledger.keys()].sort()).toEqual(expected.map(([w]) => w).sort());
        const sum = (f: (r: LedgerRow) => number) => [...ledger.values()].reduce((a, r) => a + f(r), 0);
        expect(sum((r) => r.accepted)).toBe(stats.shares.accepted);
        expect(sum((r) => r.rejected)).toBe(stats.shares.rejected);
        expect(sum((r) => r.acceptedDifficulty)).toBeCloseTo(stats.shares.creditedDifficulty, 6);
        // The pool's side: what it accepted is what the ledger says it accepted (a share in flight
        // when the connection dropped is "lost" to the bridge, though the pool may have counted it).
        expect(sum((r) => r.poolRejected)).toBe(0);
        expect(sum((r) => r.poolAccepted)).toBe(stats.pool.accepted);
        // (All pool traffic passes the recorder; an answer on a connection it had just dropped is not seen.)
        const poolAccepted = s.pool.stats().accepted;
        expect(poolAccepted).toBeGreaterThanOrEqual(
          s.upstream.submits.filter((x) => x.answer === true).length,
        );
        expect(poolAccepted).toBeLessThanOrEqual(
          s.upstream.submits.filter((x) => typeof x.answer !== "number").length,
        );
        expect(poolAccepted).toBeGreaterThanOrEqual(sum((r) => r.poolAccepted));
        expect(poolAccepted).toBeLessThanOrEqual(sum((r) => r.poolAccepted) + sum((r) => r.poolLost));
        expect(s.pool.stats().rejected).toBe(0);

        // Mid-run: mining again, then kill -9 while shares are in flight.
        downstream.release();
        mp.startMining();
        js.startMining();
        const from = { mp: mp.accepted, js: js.accepted, mine: m.acks().length };
        await until(
          () =>
            mp.accepted >= from.mp + MORE &&
            js.accepted >= from.js + MORE &&
            m.acks().length >= from.mine + 1,
          "mining again",
          WAIT_MS,
        );
        s.bridge.kill9();
        await s.bridge.proc.exited;
        await Promise.all([mp.closed, js.closed]); // every frame sent before the kill has been read
        const after = await readLedger(s.bridge);
        // Every credited share acknowledged before the kill is on disk (a credit is committed before
        // its result is sent); at most the shares still unanswered at the kill are there besides.
        const bounds = [
          [workers.msgpack, mp.accepted, mp.pending],
          [workers.json, js.accepted, js.pending],
          [workers.mine, m.acks().length, downstream.submits.filter((x) => x.answer === null).length],
        ] as const;
        for (const [worker, acknowledged, unanswered] of bounds) {
          const onDisk = after.get(worker)!.accepted;
          expect({
            worker,
            acknowledgedOnDisk: onDisk >= acknowledged,
            atMostInFlight: onDisk <= acknowledged + unanswered,
          }).toEqual({
            worker,
            acknowledgedOnDisk: true,
            atMostInFlight: true,
          });
        }
      });
    },
    TEST_MS,
  );

  test(
    "5. the sessions' hash inputs are disjoint: distinct extranonce1 per session, every tail the pool saw starts with its session's",
    async () => {
      const s = await shared();
      await explained(async () => {
        await atRest(s);
        const upFrom = s.upstream.submits.length;
        const m = await openMiners(s, "5");
        const { mp, js, downstream } = m;
        const others: [owner: string, prefix: string][] = [];
        await msgpackClient(s, "idle", others); // a session that only holds its lease
        await mining(m);
        // Shares at the pool's target from every kind of miner, then a reconnect: two epochs.
        expect(await verdict(mp, mp.find(POOL_DIFFICULTY))).toEqual({ accepted: true, forwarded: true });
        expect(await verdict(js, js.find(POOL_DIFFICULTY))).toEqual({ accepted: true, forwarded: true });
        // Before the drop, each kind's share must have reached the pool (the bridge's pool client
        // paces its submits: one still queued at the drop would be lost, never seen by the pool).
        const reachedPool = (prefix: string) =>
          s.upstream.submits.slice(upFrom).some((x) => x.xn1! + x.xn2.slice(0, 4) === prefix);
        const leased = [
          bytesToHex(mp.current!.prefix),
          bytesToHex(js.current!.prefix),
          downstream.extranonces[0]![1],
        ];
        await until(
          () => leased.every(reachedPool),
          "a pool-target share of every miner at the pool",
          WAIT_MS,
        );
        const oldPoolXn1 = s.upstream.currentXn1!;
        s.upstream.dropAll();
        await until(
          () => s.upstream.currentXn1 !== null && s.upstream.currentXn1 !== oldPoolXn1,
          "a new pool connection",
          WAIT_MS,
        );
        const poolXn1 = s.upstream.currentXn1!;
        const renewed = (w: WsMiner) => bytesToHex(w.current?.prefix ?? new Uint8Array()).startsWith(poolXn1);
        await mp.until(() => renewed(mp), "the msgpack miner's new lease", WAIT_MS);
        await js.until(() => renewed(js), "the JSON miner's new lease", WAIT_MS);
        await until(
          () => downstream.extranonces.some(([, x]) => x.startsWith(poolXn1)),
          "vbridge mine's new lease",
          WAIT_MS,
        );
        mp.stopMining();
        js.stopMining();
        downstream.holdSubmits();
        await settled(s, m);

        // Who held which prefix (one session may hold several: one per pool extranonce1).
        const owner = new Map<string, string>();
        const claim = (who: string, prefix: string) => {
          expect({ prefix, owner: owner.get(prefix) ?? who }).toEqual({ prefix, owner: who });
          owner.set(prefix, who);
        };
        for (const p of mp.prefixes()) claim("msgpack", p);
        for (const p of js.prefixes()) claim("json", p);
        for (const [, x] of downstream.extranonces) claim("mine", x);
        for (const [who, p] of others) claim(who, p);
        // Each is the pool's extranonce1 of its time followed by a lease: 2 epochs, 3 miners in each.
        const poolXn1s = s.upstream.extranonces.map(([, x]) => x);
        expect(new Set(poolXn1s).size).toBe(poolXn1s.length);
        for (const p of owner.keys())
          expect(poolXn1s.some((x) => p.startsWith(x) && p.length === x.length + 4)).toBe(true);
        for (const who of ["msgpack", "json", "mine"])
          expect([...owner.values()].filter((w) => w === who).length).toBeGreaterThanOrEqual(2);

        // vbridge mine's own submits: each accepted one's tail starts with the extranonce1 it held.
        const mine = downstream.submits.filter((x) => x.answer === true);
        expect(mine.length).toBeGreaterThan(0);
        for (const x of mine) expect(x.tail.startsWith(x.xn1!)).toBe(true);

        // At the pool: every share forwarded in this test has a tail starting with pool xn1 ‖ its
        // lease (the first two bytes of extranonce2, as the bridge forwards it), and that prefix is
        // one of this test's sessions (no other is open).
        const forwarded = s.upstream.submits.slice(upFrom);
        expect(forwarded.length).toBeGreaterThan(0);
        const byOwner = new Map<string, RecordedSubmit[]>();
        for (const x of forwarded) {
          const prefix = x.xn1! + x.xn2.slice(0, 4);
          expect(x.tail.startsWith(prefix)).toBe(true);
          const who = owner.get(prefix);
          expect(who).toBeDefined();
          byOwner.set(who!, [...(byOwner.get(who!) ?? []), x]);
          if (x.answer !== null) expect(x.answer).toBe(true);
        }
        // Shares of all three kinds of miner reached the pool.
        expect([...byOwner.keys()].sort()).toEqual(["json", "mine", "msgpack"]);
      });
    },
    TEST_MS,
  );
});

function pick(row: LedgerRow | undefined): { accepted: number; rejected: number } | undefined {
  return row === undefined ? undefined : { accepted: row.accepted, rejected: row.rejected };
}

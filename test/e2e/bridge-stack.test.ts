// The whole stack over loopback, as it runs for real: the built-in pool (in this process, behind a
// recording proxy) ⇄ `vbridge bridge` (its own process, a temporary config and ledger) ⇄ three
// miners at once — a msgpack WebSocket miner, a seed-JSON WebSocket miner (both build their hash
// input from the frames alone and find shares with the native scan) and `vbridge mine` over
// Stratum TCP (behind a second recording proxy).
//
// One run, in phases that build on each other (so the tests below run in order):
//   1. every miner is credited; pool-target shares reach the pool and are accepted;
//   2. the pool connection drops mid-run: new extranonce1, new leases, clean jobs, old shares 21;
//   3. hardening through the real process: foreign Origin, oversize frame, flood, slow reader —
//      each closes only its own connection while the miners keep being credited;
//   4. at rest, the ledger (read-only, beside the live bridge) matches every acknowledged result
//      exactly; then, mid-traffic, kill -9: every share acknowledged before is on disk;
//   5. the sessions' hash inputs were disjoint throughout, as the pool saw them.
// Behaviour only: every wait is a generous bound, nothing asserts speed.

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Hasher } from "../../src/hash/index.ts";
import { bytesToHex } from "../../src/protocol/index.ts";
import { encode } from "@msgpack/msgpack";
import { encodeClientFrame, MSGPACK_SUBPROTOCOL } from "../../src/protocol/ws-msgpack.ts";
import { PoolServer } from "../../src/pool/index.ts";
import { RawWsClient, WsTestClient } from "../downstream/ws-client.ts";
import { BridgeProcess, MineProcess, tempDir, until, type StatsBody } from "./stack.ts";
import { StratumRecorder, type RecordedSubmit } from "../support/stratum-recorder.ts";
import { WsMiner } from "./ws-miner.ts";

const ADDRESS = "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6";
const WORKERS = { msgpack: `${ADDRESS}.mp`, json: `${ADDRESS}.js`, mine: `${ADDRESS}.cpu` } as const;
/** The pool's share difficulty: the bridge forwards only shares that meet it. */
const POOL_DIFFICULTY = 32;
/** Bounds for one phase and for one test (a loaded 2-core CI machine is slow, never wrong). */
const WAIT_MS = 60_000;
const TEST_MS = 240_000;
/** Extra credited shares each miner must show after something happened to the stack. */
const MORE = 3;

interface LedgerRow {
  worker: string;
  accepted: number;
  accepted_difficulty: number;
  rejected: number;
  pool_accepted: number;
  pool_rejected: number;
  pool_stale: number;
  pool_lost: number;
}

let pool: PoolServer;
let upstream: StratumRecorder; // bridge ⇄ pool
let downstream: StratumRecorder; // vbridge mine ⇄ bridge
let bridge: BridgeProcess;
let mine: MineProcess;
let mp: WsMiner;
let js: WsMiner;
let hasher: Hasher;
let dir: ReturnType<typeof tempDir>;
const others: { close(): void }[] = [];
/** Prefixes handed to the hardening clients (for the disjointness check). */
const otherPrefixes: [owner: string, prefix: string][] = [];
const poolLog: string[] = [];

const mineAcks = () => downstream.submits.filter((s) => s.answer === true);
const mineRejects = () => downstream.submits.filter((s) => typeof s.answer === "number");

/** Adds the bridge's and the miner's output to an error, so a CI failure says what happened. */
async function explained<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const tail = (s: string) => s.slice(-6000);
    if (e instanceof Error) e.message += `\n${tail(bridge?.logs() ?? "")}\n${tail(mine?.logs() ?? "")}\n--- pool\n${poolLog.slice(-40).join("\n")}`;
    throw e;
  }
}

function readLedger(): Map<string, LedgerRow> {
  const db = new Database(bridge.ledger, { readonly: true });
  try {
    const rows = db.query("SELECT worker, accepted, accepted_difficulty, rejected, pool_accepted, pool_rejected, pool_stale, pool_lost FROM workers").all() as LedgerRow[];
    return new Map(rows.map((r) => [r.worker, r]));
  } finally {
    db.close();
  }
}

/** Every forwarded share has an answer and every miner share a verdict. */
async function settled(): Promise<StatsBody> {
  await until(() => mp.pending === 0 && js.pending === 0 && downstream.unanswered === 0, "every miner share's verdict", WAIT_MS);
  let stats = await bridge.stats();
  await until(async () => {
    stats = await bridge.stats();
    const p = stats.pool;
    return upstream.unanswered === 0 && p.submitted === p.accepted + p.rejected + p.stale + p.lost;
  }, "the pool's answer to every forwarded share", WAIT_MS);
  return stats;
}

beforeAll(async () => {
  hasher = Hasher.open("auto");
  dir = tempDir();
  // Jobs only when the test makes them (newJob in phase 3); room for all of them in the pool's table.
  pool = PoolServer.start({ port: 0, difficulty: POOL_DIFFICULTY, seed: 5, jobIntervalSeconds: 3600, blockIntervalSeconds: 7200, maxJobs: 20_000, summaryIntervalSeconds: null, log: (l) => poolLog.push(l) });
  upstream = new StratumRecorder(pool.port);
  bridge = await BridgeProcess.start({
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
  mp = await WsMiner.open("msgpack", bridge.port, WORKERS.msgpack, hasher);
  js = await WsMiner.open("json", bridge.port, WORKERS.json, hasher);
  downstream = new StratumRecorder(bridge.stratumPort);
  // #xnsub: the miner asks for mining.extranonce.subscribe, so a new lease reaches it as
  // set_extranonce (without it, the bridge closes it with E_RELEASED and it reconnects).
  mine = new MineProcess(`stratum+tcp://127.0.0.1:${downstream.port}#xnsub`, WORKERS.mine, 600);
}, TEST_MS);

afterAll(async () => {
  mp?.close();
  js?.close();
  for (const c of others) c.close();
  await mine?.stop();
  bridge?.kill9();
  await bridge?.proc.exited;
  downstream?.stop();
  upstream?.stop();
  pool?.stop();
  hasher?.close();
  dir?.remove();
}, TEST_MS);

describe("the whole stack: built-in pool ⇄ vbridge bridge (a process) ⇄ msgpack, JSON and vbridge mine", () => {
  test("1. all three miners mine at once: shares credited, pool-target ones accepted by the pool", async () => {
    await explained(async () => {
      mp.startMining();
      js.startMining();
      // A share at the pool's target from each browser miner: forwarded (and said so in the result).
      expect(await mp.submit(mp.find(POOL_DIFFICULTY))).toEqual({ accepted: true, forwarded: true });
      expect(await js.submit(js.find(POOL_DIFFICULTY))).toEqual({ accepted: true, forwarded: true });
      await until(() => mp.accepted >= 5 && js.accepted >= 5 && mineAcks().length >= 5, "shares credited to every miner", WAIT_MS);
      await until(() => upstream.submits.filter((s) => s.answer === true).length >= 3, "the pool's acceptances", WAIT_MS);
      const stats = await bridge.stats();
      expect(stats.sessions).toEqual({ "ws-msgpack": 1, "ws-json": 1, stratum: 1 });
      expect(stats.pool.rejected).toBe(0);
      expect(pool.stats().rejected).toBe(0);
      expect(pool.stats().accepted).toBeGreaterThanOrEqual(3);
      // Nothing was refused so far: no rejects of any kind, from the bridge or the pool.
      expect([mp.rejected, js.rejected, mineRejects().length]).toEqual([0, 0, 0]);
    });
  }, TEST_MS);

  test("2. upstream reconnect mid-run: new extranonce1, new leases and clean jobs; old-job shares stale (21); mining goes on", async () => {
    await explained(async () => {
      const oldPoolXn1 = upstream.currentXn1!;
      // Shares found on the current work but held back until the work has changed.
      const oldMp = mp.find();
      const oldJs = js.find();
      const before = { mp: mp.accepted, js: js.accepted };
      upstream.dropAll(); // both sides: the bridge sees its pool connection go, and reconnects
      await until(() => upstream.currentXn1 !== null && upstream.currentXn1 !== oldPoolXn1, "a new pool connection with a new extranonce1", WAIT_MS);
      const poolXn1 = upstream.currentXn1!;
      // Every session: a new lease under the new extranonce1, and a clean job with it.
      const renewed = (m: WsMiner) => m.current !== null && m.current.clean && bytesToHex(m.current.prefix).startsWith(poolXn1);
      await mp.until(() => renewed(mp), "the msgpack miner's new lease", WAIT_MS);
      await js.until(() => renewed(js), "the JSON miner's new lease", WAIT_MS);
      await until(() => downstream.extranonces.some(([, x]) => x.startsWith(poolXn1)), "vbridge mine's set_extranonce", WAIT_MS);
      const mineXn1 = downstream.extranonces.find(([, x]) => x.startsWith(poolXn1))![1];
      await until(() => downstream.notifies.some((n) => n.xn1 === mineXn1), "vbridge mine's job under its new lease", WAIT_MS);
      expect(downstream.notifies.find((n) => n.xn1 === mineXn1)!.clean).toBe(true);
      expect(downstream.connections).toBe(1); // told, not disconnected
      // The held shares: stale work, answered 21 — not lost, not counted as invalid.
      expect(await mp.submit(oldMp)).toEqual({ accepted: false, code: 21 });
      expect(await js.submit(oldJs)).toEqual({ accepted: false, code: 21 });
      // Everyone keeps being credited on the new work.
      const mineAfter = () => mineAcks().filter((s) => s.xn1 === mineXn1).length;
      await until(() => mp.accepted >= before.mp + MORE && js.accepted >= before.js + MORE && mineAfter() >= MORE, "credited shares after the reconnect", WAIT_MS);
      const stats = await bridge.stats();
      expect(stats.upstreams.map((u) => u.extranonce1)).toEqual([poolXn1]);
      // The only rejects anywhere are stale work (21): shares in flight across the switch.
      for (const v of [...mp.verdicts, ...js.verdicts]) if (!v.accepted) expect(v.code).toBe(21);
      for (const s of mineRejects()) expect(s.answer).toBe(21);
      expect(Object.keys(stats.shares.rejectedByCode)).toEqual(["21"]);
      expect(pool.stats().rejected).toBe(0);
    });
  }, TEST_MS);

  test("3. hardening through the real process: foreign Origin, oversize frame, flood, slow reader — only that connection goes", async () => {
    await explained(async () => {
      const before = { mp: mp.accepted, js: js.accepted, mine: mineAcks().length };
      const msgpackClient = async (name: string) => {
        const c = await WsTestClient.open(`ws://127.0.0.1:${bridge.port}/ws`, { protocols: [MSGPACK_SUBPROTOCOL] });
        others.push(c);
        c.send(encodeClientFrame({ type: "hello", worker: `${ADDRESS}.${name}`, agent: "e2e" }));
        otherPrefixes.push([name, bytesToHex((await c.frame("job", WAIT_MS)).prefix)]);
        return c;
      };
      // A page of another site never gets a socket.
      const foreign = await RawWsClient.connect(bridge.port, "/ws", { Origin: "https://evil.example" });
      others.push(foreign);
      expect(await foreign.status(WAIT_MS)).toBe(403);
      // A message over bridge.max_frame_bytes (4096) closes that connection.
      const big = await msgpackClient("big");
      big.send(encode({ v: 1, t: "ping", pad: new Uint8Array(8000) }));
      expect(await big.closed).toEqual({ code: 1009, reason: "E_FRAME_TOO_LARGE" });
      // A flood of messages (far past 10 × max_shares_per_second for 2 s) closes the flooder.
      const flood = await msgpackClient("flood");
      for (let i = 0; i < 10_000 && !flood.isClosed; i++) flood.send(encodeClientFrame({ type: "ping", seq: i }));
      expect(await flood.closed).toEqual({ code: 4429, reason: "E_RATE_LIMITED" });
      // A client that stops reading: new jobs pile up (≈ 5 KB of JSON each) until the kernel's
      // buffers and then the bridge's 256 KiB are full; it is cut off, not silently skipped.
      const slow = await RawWsClient.connect(bridge.port, "/?protocol=json");
      others.push(slow);
      expect(await slow.status(WAIT_MS)).toBe(101);
      await until(async () => (await bridge.stats()).downstream.open["ws-json"] === 2, "the slow reader's session", WAIT_MS);
      slow.pause();
      let cut = false;
      for (let i = 0; i < 20_000 && !cut; i++) {
        pool.newJob();
        // Let the pipe drain (the pool caps what a reader leaves unread) and look for the cut.
        if (i % 20 === 19) {
          await Bun.sleep(5);
          if (i % 100 === 99) cut = ((await bridge.stats()).downstream.closed.E_SLOW_READER ?? 0) > 0;
        }
      }
      await until(async () => ((await bridge.stats()).downstream.closed.E_SLOW_READER ?? 0) === 1, "the slow reader cut off", WAIT_MS);
      // The process and every other session carry on.
      expect(bridge.alive).toBe(true);
      expect(mp.isClosed || js.isClosed).toBe(false);
      await until(() => mp.accepted >= before.mp + MORE && js.accepted >= before.js + MORE && mineAcks().length >= before.mine + MORE, "credited shares after the hardening", WAIT_MS);
      const stats = await bridge.stats();
      expect(stats.downstream.refused).toEqual({ E_ORIGIN: 1 });
      expect(stats.downstream.closed).toMatchObject({ E_FRAME_TOO_LARGE: 1, E_RATE_LIMITED: 1, E_SLOW_READER: 1 });
      expect(stats.sessions).toEqual({ "ws-msgpack": 1, "ws-json": 1, stratum: 1 });
      expect(await bridge.health()).toBe(200);
    });
  }, TEST_MS);

  test("4. the ledger matches every acknowledged result exactly, and survives kill -9 of the bridge mid-run", async () => {
    await explained(async () => {
      // At rest: no new shares (the browser miners stop, vbridge mine's submits are held back),
      // and every share sent has its answer.
      mp.stopMining();
      js.stopMining();
      downstream.holdSubmits();
      const stats = await settled();
      const ledger = readLedger(); // read-only, beside the running bridge (WAL)
      const expected = [
        [WORKERS.msgpack, mp.accepted, mp.rejected],
        [WORKERS.json, js.accepted, js.rejected],
        [WORKERS.mine, mineAcks().length, mineRejects().length],
      ] as const;
      for (const [worker, accepted, rejected] of expected) expect({ worker, ...pick(ledger.get(worker)) }).toEqual({ worker, accepted, rejected });
      expect([...ledger.keys()].sort()).toEqual(expected.map(([w]) => w).sort());
      const sum = (f: (r: LedgerRow) => number) => [...ledger.values()].reduce((a, r) => a + f(r), 0);
      expect(sum((r) => r.accepted)).toBe(stats.shares.accepted);
      expect(sum((r) => r.rejected)).toBe(stats.shares.rejected);
      expect(sum((r) => r.accepted_difficulty)).toBeCloseTo(stats.shares.creditedDifficulty, 6);
      // The pool's side: what it accepted is what the ledger says it accepted (a share in flight
      // when the connection dropped is "lost" to the bridge, though the pool may have counted it).
      expect(sum((r) => r.pool_rejected)).toBe(0);
      expect(sum((r) => r.pool_accepted)).toBe(stats.pool.accepted);
      // (All pool traffic passes the recorder; an answer on a connection it had just dropped is not seen.)
      const poolAccepted = pool.stats().accepted;
      expect(poolAccepted).toBeGreaterThanOrEqual(upstream.submits.filter((s) => s.answer === true).length);
      expect(poolAccepted).toBeLessThanOrEqual(upstream.submits.filter((s) => typeof s.answer !== "number").length);
      expect(poolAccepted).toBeGreaterThanOrEqual(sum((r) => r.pool_accepted));
      expect(poolAccepted).toBeLessThanOrEqual(sum((r) => r.pool_accepted) + sum((r) => r.pool_lost));
      expect(pool.stats().rejected).toBe(0);

      // Mid-run: mining again, then kill -9 while shares are in flight.
      downstream.release();
      mp.startMining();
      js.startMining();
      const from = { mp: mp.accepted, js: js.accepted, mine: mineAcks().length };
      await until(() => mp.accepted >= from.mp + MORE && js.accepted >= from.js + MORE && mineAcks().length >= from.mine + 1, "mining again", WAIT_MS);
      bridge.kill9();
      await bridge.proc.exited;
      await Promise.all([mp.closed, js.closed]); // every frame sent before the kill has been read
      const after = readLedger();
      // Every credited share acknowledged before the kill is on disk (a credit is committed before
      // its result is sent); at most the shares still unanswered at the kill are there besides.
      const bounds = [
        [WORKERS.msgpack, mp.accepted, mp.pending],
        [WORKERS.json, js.accepted, js.pending],
        [WORKERS.mine, mineAcks().length, downstream.submits.filter((s) => s.answer === null).length],
      ] as const;
      for (const [worker, acknowledged, unanswered] of bounds) {
        const onDisk = after.get(worker)!.accepted;
        expect({ worker, acknowledgedOnDisk: onDisk >= acknowledged, atMostInFlight: onDisk <= acknowledged + unanswered }).toEqual({ worker, acknowledgedOnDisk: true, atMostInFlight: true });
      }
    });
  }, TEST_MS);

  test("5. the sessions' hash inputs were disjoint: distinct extranonce1 per session, every tail the pool saw starts with its session's", () => {
    // Who held which prefix (one session may hold several: one per pool extranonce1).
    const owner = new Map<string, string>();
    const claim = (who: string, prefix: string) => {
      expect({ prefix, owner: owner.get(prefix) ?? who }).toEqual({ prefix, owner: who });
      owner.set(prefix, who);
    };
    for (const p of mp.prefixes()) claim("msgpack", p);
    for (const p of js.prefixes()) claim("json", p);
    for (const [, x] of downstream.extranonces) claim("mine", x);
    for (const [who, p] of otherPrefixes) claim(who, p);
    // Each is the pool's extranonce1 of its time followed by a lease: 2 epochs, 3 miners in each.
    const poolXn1s = upstream.extranonces.map(([, x]) => x);
    expect(new Set(poolXn1s).size).toBe(poolXn1s.length);
    for (const p of owner.keys()) expect(poolXn1s.some((x) => p.startsWith(x) && p.length === x.length + 4)).toBe(true);
    for (const who of ["msgpack", "json", "mine"]) expect([...owner.values()].filter((w) => w === who).length).toBeGreaterThanOrEqual(2);

    // vbridge mine's own submits: each accepted one's tail starts with the extranonce1 it held.
    const mine = downstream.submits.filter((s) => s.answer === true);
    expect(mine.length).toBeGreaterThan(0);
    for (const s of mine) expect(s.tail.startsWith(s.xn1!)).toBe(true);

    // At the pool: every forwarded share's tail starts with pool xn1 ‖ its lease (the first two
    // bytes of extranonce2, as the bridge forwards it), and that prefix is one live session's.
    const forwarded = upstream.submits;
    expect(forwarded.length).toBeGreaterThan(0);
    const byOwner = new Map<string, RecordedSubmit[]>();
    for (const s of forwarded) {
      const prefix = s.xn1! + s.xn2.slice(0, 4);
      expect(s.tail.startsWith(prefix)).toBe(true);
      const who = owner.get(prefix);
      expect(who).toBeDefined();
      byOwner.set(who!, [...(byOwner.get(who!) ?? []), s]);
      if (s.answer !== null) expect(s.answer).toBe(true);
    }
    // Shares of all three kinds of miner reached the pool.
    expect([...byOwner.keys()].sort()).toEqual(["json", "mine", "msgpack"]);
  });
});

function pick(row: LedgerRow | undefined): { accepted: number; rejected: number } | undefined {
  return row === undefined ? undefined : { accepted: row.accepted, rejected: row.rejected };
}

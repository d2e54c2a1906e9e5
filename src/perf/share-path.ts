/**
 * The share-path benchmark behind `vbridge bench` (issue 9's numbers): verdicts per second, on the
 * calling thread, through the real code from decode to reply — a WebSocket msgpack frame into a
 * WsConnection, or a mining.submit line into a Stratum connection; the bridge core with the native
 * hasher; the SQLite ledger in a temporary file (synchronous FULL, group commit per event-loop
 * turn); the reply frame or line out. Only the sockets are fakes (peers.ts).
 *
 * Shape of the load: `sessions` miners with one share in flight each, so every event-loop turn
 * carries one share per session and one ledger commit. Every share is unique and valid (miner
 * difficulty pinned at the minimum; the built-in pool's so high that nothing is forwarded), and a
 * run that saw any reject throws: rejects are cheaper, and would flatter the number.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bridge } from "../bridge/index.ts";
import type { ImplChoice } from "../hash/index.ts";
import { PoolServer } from "../pool/index.ts";
import { silentLogger } from "../util/log.ts";
import { makePeers, type BenchPeer } from "./peers.ts";

export type SharePathTransport = "ws-msgpack" | "stratum";

export interface SharePathOptions {
  transport: SharePathTransport;
  impl: ImplChoice;
  /** Miner sessions, one share in flight each (default 500). */
  sessions?: number;
  /** Shares measured, after `warmup` more (defaults 200,000 and 20,000). */
  shares?: number;
  warmup?: number;
}

export type SharePathLine = { bench: "share-path"; transport: SharePathTransport; verdicts_per_s: number };

/** Far below any hash (every share valid) and far above (nothing forwarded): diff1 / 2^256 < 1e-12. */
const MINER_DIFFICULTY = 1e-12;
const POOL_DIFFICULTY = 1e12;
/** Each session keeps its shares of one job: within the core's per-session share memory (2048). */
const MAX_SHARES_PER_SESSION = 2000;

export async function benchSharePath(o: SharePathOptions): Promise<SharePathLine> {
  const sessions = o.sessions ?? 500;
  const shares = o.shares ?? 200_000;
  const warmup = o.warmup ?? 20_000;
  if (Math.ceil((shares + warmup) / sessions) > MAX_SHARES_PER_SESSION)
    throw new RangeError(`too many shares for ${sessions} sessions`);
  const dir = mkdtempSync(join(tmpdir(), "vbridge-share-path-"));
  const pool = PoolServer.start({
    host: "127.0.0.1",
    port: 0,
    difficulty: POOL_DIFFICULTY,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    seed: 7,
    impl: o.impl,
    summaryIntervalSeconds: null,
    log: silentLogger,
  });
  let bridge: Bridge | null = null;
  try {
    const ws = { start: MINER_DIFFICULTY, shareSeconds: 10 };
    bridge = Bridge.start({
      client: { pools: [`stratum+tcp://127.0.0.1:${pool.port}`], user: "vbridge", password: "x" },
      impl: o.impl,
      ledgerPath: join(dir, "ledger.sqlite"),
      leaseBytes: 2,
      difficulty: { ws, stratum: ws, min: MINER_DIFFICULTY, max: MINER_DIFFICULTY },
      maxSharesPerSecond: 1e6,
      maxConnections: sessions,
      tuning: { summaryIntervalSeconds: null },
    });
    const peers: BenchPeer[] = makePeers(o.transport, bridge, sessions);
    const deadline = performance.now() + 20_000;
    while (!peers.every((p) => p.ready())) {
      if (performance.now() > deadline)
        throw new Error("share-path bench: no work from the built-in pool within 20 s");
      await Bun.sleep(10);
    }
    for (const p of peers) p.prepare(Math.ceil((shares + warmup) / sessions));
    await run(peers, warmup);
    const rate = await run(peers, shares);
    const st = bridge.stats().shares;
    if (st.rejected !== 0)
      throw new Error(
        `share-path bench: ${st.rejected} shares rejected ${JSON.stringify(st.rejectedByCode)}`,
      );
    return { bench: "share-path", transport: o.transport, verdicts_per_s: Math.round(rate) };
  } finally {
    await bridge?.stop();
    pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` more shares, one per session per turn; the rate counts until the last reply. */
async function run(peers: BenchPeer[], count: number): Promise<number> {
  const replies = () => peers.reduce((n, p) => n + p.replies, 0);
  const start = replies();
  const t0 = performance.now();
  let sent = 0;
  while (sent < count) {
    for (let i = 0; i < peers.length && sent < count; i++, sent++) peers[i]!.send();
    // The ledger's commit for this turn was queued first: it runs, and the replies go, before this resumes.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  while (replies() - start < count) await new Promise<void>((resolve) => setImmediate(resolve));
  return count / ((performance.now() - t0) / 1000);
}

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

export type SharePathLine = {
  bench: "share-path";
  transport: "ws-msgpack" | "stratum";
  verdicts_per_s: number;
};

/** Far below any hash (every share valid) and far above (nothing forwarded): diff1 / 2^256 < 1e-12. */
const MINER_DIFFICULTY = 1e-12;
const POOL_DIFFICULTY = 1e12;

/** About `seconds` of shares at the rate this machine reaches (≈ 60,000/s), after a tenth more. */
export async function benchSharePath(
  transport: SharePathLine["transport"],
  impl: ImplChoice,
  seconds: number,
): Promise<SharePathLine> {
  const shares = Math.min(800_000, Math.max(2000, Math.round(seconds * 60_000)));
  const warmup = Math.ceil(shares / 10);
  // Enough sessions that each keeps its shares of one job (≤ 1,760) within the core's
  // per-session share memory (2048).
  const sessions = Math.min(500, Math.max(20, Math.ceil(shares / 400)));
  const dir = mkdtempSync(join(tmpdir(), "vbridge-share-path-"));
  const pool = PoolServer.start({
    host: "127.0.0.1",
    port: 0,
    difficulty: POOL_DIFFICULTY,
    jobIntervalSeconds: 3600,
    blockIntervalSeconds: 7200,
    seed: 7,
    impl,
    summaryIntervalSeconds: null,
    log: silentLogger,
  });
  let bridge: Bridge | null = null;
  try {
    const ws = { start: MINER_DIFFICULTY, shareSeconds: 10 };
    bridge = Bridge.start({
      client: { pools: [`stratum+tcp://127.0.0.1:${pool.port}`], user: "vbridge", password: "x" },
      impl,
      ledgerPath: join(dir, "ledger.sqlite"),
      leaseBytes: 2,
      difficulty: { ws, stratum: ws, min: MINER_DIFFICULTY, max: MINER_DIFFICULTY },
      maxSharesPerSecond: 1e6,
      maxConnections: sessions,
      tuning: { summaryIntervalSeconds: null },
    });
    const peers = makePeers(transport, bridge, sessions, Math.ceil((shares + warmup) / sessions));
    const deadline = performance.now() + 20_000;
    while (!peers.every((p) => p.send !== null)) {
      if (performance.now() > deadline)
        throw new Error("share-path bench: no work from the built-in pool within 20 s");
      await Bun.sleep(10);
    }
    await run(peers, warmup);
    const rate = await run(peers, shares);
    const st = bridge.stats().shares;
    if (st.rejected !== 0)
      throw new Error(
        `share-path bench: ${st.rejected} shares rejected ${JSON.stringify(st.rejectedByCode)}`,
      );
    return { bench: "share-path", transport, verdicts_per_s: Math.round(rate) };
  } finally {
    await bridge?.stop();
    pool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `count` more shares, one per session per turn; the rate counts until the last reply. */
async function run(peers: BenchPeer[], count: number): Promise<number> {
  const replies = () => peers.reduce((n, p) => n + p.replies, 0);
  const start = replies();
  const t0 = performance.now();
  let sent = 0;
  while (sent < count) {
    for (let i = 0; i < peers.length && sent < count; i++, sent++) peers[i]!.send!();
    // The ledger's commit for this turn was queued first: it runs, and the replies go, before this resumes.
    await turn();
  }
  while (replies() - start < count) await turn();
  return count / ((performance.now() - t0) / 1000);
}

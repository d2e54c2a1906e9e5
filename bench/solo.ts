// solo.ts — issue 13's numbers: the built-in pool mining on a daemon (the verusd simulator of the
// tests, test/support/verusd.ts, on loopback), in this process:
// 1. tip change → clean job at the miner: the simulator mints a new tip (answering the pool's
//    longpoll); the time until a raw Stratum miner's socket delivered the clean mining.notify.
// 2. block found → submit sent: `vbridge mine` (one thread, a subprocess) mines at a block target a
//    CPU meets every second or so; per block, the time from the pool's verdict "block candidate" to
//    the submitmergedblock call being sent (assembly included), as the pool reports it.
// Prints p50 / p99 / max; numbers only.
//
//   node_modules/.bin/bun bench/solo.ts [--tips 200] [--seconds 30]

import { parseArgs } from "node:util";
import { cpus } from "node:os";
import { DaemonJobSource, DaemonRpc, type BlockResult } from "../src/daemon/index.ts";
import { PoolServer } from "../src/pool/index.ts";
import { difficultyToTarget } from "../src/protocol/index.ts";
import { silentLogger } from "../src/util/log.ts";
import { MineProcess } from "../test/e2e/stack.ts";
import { rawMiner } from "../test/support/raw-miner.ts";
import { startVerusd } from "../test/support/verusd.ts";

const { values } = parseArgs({
  options: { tips: { type: "string", default: "200" }, seconds: { type: "string", default: "30" } },
});
const TIPS = Number(values.tips);
const SECONDS = Number(values.seconds);

const d = await startVerusd({ target: difficultyToTarget(500) });
const blocks: BlockResult[] = [];
const pool = PoolServer.start({
  port: 0,
  difficulty: 50,
  summaryIntervalSeconds: null,
  log: silentLogger,
  daemon: new DaemonJobSource({
    rpc: new DaemonRpc({ url: d.url, user: d.user, pass: d.pass }),
    log: silentLogger,
  }),
  onBlock: (r) => void blocks.push(r),
});
await pool.daemon!.ready;

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const line = (what: string, xs: number[]) => {
  if (xs.length === 0) return `${what}: none in this run`;
  xs.sort((a, b) => a - b);
  return `${what}: n ${xs.length}, p50 ${q(xs, 0.5).toFixed(2)} ms, p99 ${q(xs, 0.99).toFixed(2)} ms, max ${xs.at(-1)!.toFixed(2)} ms`;
};

// 1. Tip changes.
const miner = await rawMiner(pool.port);
const tip: number[] = [];
for (let i = 0; i < TIPS; i++) {
  await Bun.sleep(20); // the pool's next longpoll is out
  const before = miner.notifies.length;
  const t0 = performance.now();
  d.mintTip();
  const end = Date.now() + 5000;
  while (!miner.notifies.slice(before).some((n) => n.clean) && Date.now() < end) await Bun.sleep(0.2);
  const n = miner.notifies.slice(before).find((x) => x.clean);
  if (n !== undefined) tip.push(n.at - t0);
}
miner.close();

// 2. Blocks found by a real miner.
const mine = new MineProcess(
  `stratum+tcp://127.0.0.1:${pool.port}`,
  "RLn1WTymL5G9LHpiEZW29S3otu6bTHKob6.cpu",
  SECONDS,
);
await mine.proc.exited;
pool.stop();
await d.stop();

console.log(`solo mining on the verusd simulator; ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores`);
console.log(line("tip change (longpoll answer) → clean job at the miner", tip));
const accepted = blocks.filter((b) => b.accepted).length;
console.log(
  `${line(
    "block found → submit sent",
    blocks.map((b) => b.sendMs),
  )}; ${accepted} of ${blocks.length} accepted in ${SECONDS} s`,
);

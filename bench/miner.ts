/**
 * `make bench-miner`: the headless miner against the built-in pool, beside the scan benchmark in
 * the same run, so that both see the same machine.
 *
 *   bun bench/miner.ts [--seconds 60] [--threads 2] [--lanes 0] [--bin dist/vbridge-linux-x64]
 *
 * 1. `vbridge bench --threads N` (before), 2. `vbridge mine --threads N --duration S --json` against
 * the built-in pool in this process, 3. `vbridge bench --threads N` (after). Both get the same
 * --impl auto and --lanes (0: the implementation's fastest), so neither config.toml nor VBRIDGE_*
 * makes them hash differently, and both lane counts in effect are printed. Prints the mining rate
 * against the mean of the two bench rates (goal ≥ 97 %), accepted/submitted (goal ≥ 99.5 %), and
 * the slowest job switch the miner measured (goal ≤ 50 ms). The pool difficulty is set from the
 * first bench so that a share comes about once a second: enough to exercise the submit path, too
 * few for its cost to dominate. Jobs every 5 s and a new block every 60 s, as `vbridge pool`.
 *
 * Prints numbers, never passes or fails on them (STYLE.md §15).
 */
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { MinerSummary } from "../src/miner/index.ts";
import { PoolServer } from "../src/pool/index.ts";
import { silentLogger } from "../src/util/log.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    threads: { type: "string", default: "2" },
    lanes: { type: "string", default: "0" },
    bin: { type: "string" },
  },
});
const seconds = Number(values.seconds);
const threads = Number(values.threads);
const lanes = Number(values.lanes);
if (!(seconds > 0) || !Number.isInteger(threads) || threads < 1 || !Number.isInteger(lanes) || lanes < 0) {
  console.error("usage: bun bench/miner.ts [--seconds S] [--threads N] [--lanes 0..4] [--bin PATH]");
  process.exit(2);
}
const ROOT = join(import.meta.dir, "..");
const vbridge = values.bin === undefined ? [process.execPath, "src/main.ts"] : [values.bin];
/** The scan benchmark gets a quarter of the mining time each side, between 2 and 10 s. */
const benchSeconds = Math.max(2, Math.min(10, seconds / 4));
/** Expected hashes per share at difficulty d (verus-stratum.md §6). */
const HASHES_PER_DIFFICULTY = 8192;

/** The child's stdout and stderr, its CPU time and how often the kernel preempted it (other load on the machine). */
async function run(
  args: string[],
): Promise<{ out: string; err: string; cpuSeconds: number; preempted: number }> {
  const proc = Bun.spawn([...vbridge, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`vbridge ${args.join(" ")} exited ${code}:\n${err}`);
  const usage = proc.resourceUsage();
  return {
    out,
    err,
    cpuSeconds: Number(usage?.cpuTime.total ?? 0n) / 1e6,
    preempted: usage?.contextSwitches.involuntary ?? 0,
  };
}

/** The scan rate, and the lane count in effect. */
async function benchMhs(): Promise<{ mhs: number; lanes: number }> {
  const { out } = await run([
    "bench",
    "--impl",
    "auto",
    "--lanes",
    String(lanes),
    "--threads",
    String(threads),
    "--seconds",
    String(benchSeconds),
    "--json",
  ]);
  // The scan line; the share-path lines after it carry "bench".
  const line = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { bench?: string; mhs: number; lanes: number })
    .find((l) => l.bench === undefined)!;
  return { mhs: line.mhs, lanes: line.lanes };
}

const first = await benchMhs();
const before = first.mhs;
const difficulty = Math.max(0.001, Math.round((before * 1e6) / HASHES_PER_DIFFICULTY));
const pool = PoolServer.start({ port: 0, difficulty, summaryIntervalSeconds: null, log: silentLogger });
let summary: MinerSummary;
let mine: Awaited<ReturnType<typeof run>>;
const loadBefore = loadavg()[0]!;
try {
  mine = await run([
    "mine",
    "--pool",
    `stratum+tcp://127.0.0.1:${pool.port}`,
    "--user",
    "RBenchMinerxxxxxxxxxxxxxxxxxxxxxxx.bench",
    "--impl",
    "auto",
    "--lanes",
    String(lanes),
    "--threads",
    String(threads),
    "--duration",
    String(seconds),
    "--json",
  ]);
  summary = JSON.parse(mine.out) as MinerSummary;
} finally {
  pool.stop();
}
const poolStats = pool.stats();
const second = await benchMhs();
const after = second.mhs;
// The miner logs "N threads, VerusHash IMPL, L lanes" (stderr under --json).
const mineLanes = /VerusHash \w+, (\d+) lanes?\b/.exec(mine.err)?.[1] ?? "?";

const benchMean = (before + after) / 2;
const mineMhs = summary.hashrate / 1e6;
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const settled = summary.accepted + summary.rejected + summary.stale + summary.lost + summary.dropped;
const benchLanes = [...new Set([first.lanes, second.lanes])].join("/");
console.log(
  `lanes in effect: bench ${benchLanes}, mine ${mineLanes} (--lanes ${lanes})` +
    (benchLanes === mineLanes ? "" : " — NOT THE SAME: the ratio below compares different scans"),
);
console.log(
  `vbridge bench --threads ${threads}: ${benchMean.toFixed(3)} MH/s (before ${before.toFixed(3)}, after ${after.toFixed(3)}; ${benchSeconds} s each)`,
);
console.log(
  `vbridge mine  --threads ${threads}: ${mineMhs.toFixed(3)} MH/s over ${summary.uptime_s} s [${summary.threads.map((t) => (t / 1e6).toFixed(3)).join(" ")}], pool difficulty ${difficulty}`,
);
console.log(`hashrate ratio mine/bench: ${pct(mineMhs / benchMean)} (goal ≥ 97 %)`);
console.log(
  `accepted/submitted: ${summary.accepted}/${summary.submitted} = ${pct(summary.submitted === 0 ? 0 : summary.accepted / summary.submitted)} (goal ≥ 99.5 %); ` +
    `rejected ${summary.rejected}, stale ${summary.stale}, lost ${summary.lost}, dropped ${summary.dropped}, invalid ${summary.invalid}, unsettled ${summary.submitted + summary.unsent - settled}`,
);
console.log(
  `pool saw: ${poolStats.accepted} accepted, ${poolStats.rejected} rejected; pool's hashrate estimate ${(poolStats.hashrate / 1e6).toFixed(3)} MH/s`,
);
console.log(
  `mine process: ${mine.cpuSeconds.toFixed(1)} CPU-s in ${summary.uptime_s} s (${threads} workers + main thread), ` +
    `${mine.preempted} involuntary context switches; load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after ` +
    `(on a machine with ${availableParallelism()} cores, other load shows here first)`,
);
const perCpu = summary.hashes / mine.cpuSeconds / 1e6;
console.log(
  `mine hashes per CPU-second: ${perCpu.toFixed(3)} M vs bench ${(benchMean / threads).toFixed(3)} MH/s per thread = ` +
    `${pct(perCpu / (benchMean / threads))} (the miner's side counts CPU time, so other load does not lower it; the bench's is wall clock)`,
);
console.log(
  `slowest job switch (publish → a worker hashing it): ${summary.job_switch_ms_max} ms (goal ≤ 50 ms)`,
);

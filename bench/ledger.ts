// ledger.ts — credited shares per second the share ledger (src/ledger) sustains with full
// durability, on SQLite (synchronous=FULL: an fsync per commit) and on PostgreSQL (a real server
// started for the run by test/support/postgres.ts; fsync and synchronous_commit on, its defaults),
// and the acknowledgement latency (credit() → done(null), i.e. until committed): p50 and p99.
// Offered load: N shares with unique keys each event-loop turn, as long as fewer than 8 turns' worth
// wait unacknowledged (a steady stream, not an unbounded queue). The goal (issue 12): ≥ 20,000/s
// each. One line per row:
//
//   sqlite FULL 100/turn: N shares/s, p50 X ms, p99 Y ms
//
//   node_modules/.bin/bun bench/ledger.ts [--seconds S] [--only sqlite|postgres] [--per-turn 100,300,1000]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { Ledger } from "../src/ledger/index.ts";
import { startPostgres, type Postgres } from "../test/support/postgres.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
}
const SECONDS = Number(arg("--seconds", "3"));
const ONLY = arg("--only", "");
const PER_TURN = arg("--per-turn", "100,300,1000").split(",").map(Number);
/** Latency samples kept (a cap: a long run must not grow memory without bound). */
const SAMPLES = 1 << 20;

interface Row {
  perSecond: number;
  p50: number;
  p99: number;
}

async function run(target: string, perTurn: number): Promise<Row> {
  const ledger = Ledger.open(target, { maxQueued: 1_000_000 });
  await ledger.ready;
  const latencies = new Float64Array(SAMPLES);
  let samples = 0;
  let acked = 0;
  let outstanding = 0;
  let seq = 0;
  let failure: Error | null = null;
  const key = new Uint8Array(16);
  const view = new DataView(key.buffer);
  view.setUint32(0, process.pid);
  view.setFloat64(4, performance.now());
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await new Promise<void>((resolve) => {
    const turn = () => {
      if (failure !== null || performance.now() >= end) return resolve();
      if (outstanding < 8 * perTurn) {
        const offered = performance.now();
        for (let k = 0; k < perTurn; k++) {
          view.setUint32(12, seq++);
          outstanding++;
          ledger.credit(
            { worker: `RBench.w${k % 50}`, difficulty: 1, at: Date.now(), key: key.slice() },
            (e) => {
              outstanding--;
              if (e !== null) failure ??= e;
              acked++;
              if (samples < SAMPLES) latencies[samples++] = performance.now() - offered;
            },
          );
        }
      }
      setImmediate(turn);
    };
    turn();
  });
  const elapsed = (performance.now() - t0) / 1000;
  const counted = acked;
  await ledger.close();
  if (failure !== null) throw failure;
  const sorted = latencies.subarray(0, samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { perSecond: counted / elapsed, p50: at(0.5), p99: at(0.99) };
}

function print(name: string, perTurn: number, r: Row): void {
  console.log(
    `${name} ${perTurn}/turn: ${Math.round(r.perSecond)} shares/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
  );
}

console.log(`share ledger: credited shares/s with full durability, ${SECONDS} s per row (${tmpdir()})`);
if (ONLY !== "postgres") {
  for (const perTurn of PER_TURN) {
    const dir = mkdtempSync(join(tmpdir(), "vbridge-bench-ledger-"));
    try {
      print("sqlite FULL", perTurn, await run(join(dir, "ledger.sqlite"), perTurn));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
if (ONLY !== "sqlite") {
  let pg: Postgres | undefined;
  try {
    pg = await startPostgres();
    const admin = new SQL(pg.url, { max: 1 });
    for (const perTurn of PER_TURN) {
      const db = `bench_${perTurn}`;
      await admin.unsafe(`CREATE DATABASE ${db}`);
      print("postgres", perTurn, await run(pg.url.replace(/\/postgres$/, `/${db}`), perTurn));
    }
    await admin.close();
  } finally {
    await pg?.remove();
  }
}

/**
 * `make bench` (protocol part): what the Stratum layer costs per message, on one core.
 *
 *   bun bench/protocol.ts [--seconds S]
 *
 * - notify decode: a real-shaped v7 `mining.notify` line → parseRpc → typed Notify → Job.
 * - submit verdicts: distinct `mining.submit` lines of one job → decode → validateShare with the
 *   native hash, by the miner rule (the bridge's precheck) and by the pool rule (the built-in
 *   pool, with the pre-header check). Every line carries a different tail, so each verdict is one
 *   real VerusHash; the target is easy, so every share is accepted and the whole path runs.
 *
 * Prints numbers, never passes or fails on them (STYLE.md §15).
 */
import { parseArgs } from "node:util";
import { Hasher } from "../src/hash/index.ts";
import { poolHashers } from "../src/pool/hashers.ts";
import { JobTable } from "../src/pool/jobs.ts";
import { seededRandom } from "../src/pool/random.ts";
import { SyntheticJobSource } from "../src/pool/synthetic.ts";
import {
  decodeFromMiner,
  decodeFromPool,
  encodeMinerMessage,
  encodePoolMessage,
  Job,
  validateShare,
  type ClearingRule,
  type SubmitParams,
} from "../src/protocol/index.ts";
import { hexToBytes } from "../src/util/hex.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "2" } } });
const seconds = Number(values.seconds);
const SHARES = 20_000;
const XN1 = "1ffffff7";

const source = new SyntheticJobSource(
  { random: seededRandom(7), jobIntervalMs: 5_000, blockIntervalMs: 60_000 },
  Date.now(),
);
const job = source.current.job;
const notifyLine = encodePoolMessage(job.notify);

/** Runs `f` in rounds until `seconds` pass; returns calls per second. */
function rate(f: () => number): number {
  const until = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < until) n += f();
  return n / ((performance.now() - t0) / 1000);
}

// ------------------------------------------------------------------ notify decode latency
const notifyPerS = rate(() => {
  for (let i = 0; i < 1000; i++) {
    const m = decodeFromPool(notifyLine);
    if (!("jobId" in m)) throw new Error("not a notify");
    new Job(m);
  }
  return 1000;
});
console.log(
  `notify decode (line → Job), v7 job of ${notifyLine.length} bytes: ${(1e6 / notifyPerS).toFixed(2)} µs each`,
);

// ------------------------------------------------------------------ submit decode + validate
function submitLines(): string[] {
  const xn2 = new Uint8Array(28);
  const lines: string[] = [];
  for (let i = 0; i < SHARES; i++) {
    const tail = new Uint8Array(15);
    tail.set(hexToBytes(XN1));
    new DataView(tail.buffer).setUint32(11, i, true);
    const params: SubmitParams = job.submitParams("RBench.worker", xn2, tail);
    lines.push(encodeMinerMessage({ method: "mining.submit", id: i, ...params }));
  }
  return lines;
}

const lines = submitLines();
const hasher = Hasher.open("auto");
const hashers = poolHashers(hasher);

function verdicts(rule: ClearingRule): number {
  let next = 0;
  // The pool's job table: the duplicate check as the built-in pool runs it (digests, capped).
  let jobs = new JobTable({ maxSharesPerJob: SHARES + 1 });
  jobs.push(job, true);
  return rate(() => {
    for (let i = 0; i < 200; i++) {
      if (next === lines.length) {
        next = 0;
        jobs = new JobTable({ maxSharesPerJob: SHARES + 1 });
        jobs.push(job, true);
      }
      const session = { authorized: true, extranonce1: XN1, duplicates: jobs };
      const m = decodeFromMiner(lines[next++]!);
      if (!("method" in m) || m.method !== "mining.submit") throw new Error("not a submit");
      const v = validateShare({ jobs, session, submit: m, target: { difficulty: 1e-9 }, hashers, rule });
      if (!v.ok) throw new Error(`share rejected: ${v.reject.message}`);
    }
    return 200;
  });
}

console.log(`submit decode + validate, one job, ${hasher.impl}, 1 thread:`);
console.log(
  `  miner rule (bridge precheck): ${Math.round(verdicts("miner")).toLocaleString("en")} verdicts/s`,
);
console.log(
  `  pool rule (built-in pool):    ${Math.round(verdicts("pool")).toLocaleString("en")} verdicts/s`,
);
hasher.close();

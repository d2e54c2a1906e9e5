/**
 * `make bench`: the scan loop and the share check driven from C (native/bench.c) beside the same
 * library driven through bun:ffi (`vbridge bench`), alternating in one run so that both see the same
 * machine. Prints numbers, never passes or fails on them (STYLE.md §15).
 *
 *   bun bench/run.ts [--seconds S] [--rounds N]
 *
 * Each round runs, per implementation: the C driver (1 thread), then vbridge bench with 1 thread and
 * with one thread per core. The table shows medians over the rounds.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { availableImpls } from "../src/hash/impl.ts";
import { benchJob } from "../src/perf/job.ts";
import { bytesToHex } from "../src/util/hex.ts";
import { SCAN_BATCH } from "../src/perf/scan.ts";
import { row, thousands } from "../src/util/table.ts";

const ROOT = join(import.meta.dir, "..");
const C_BENCH = join(ROOT, "build/native/bench");

type Line = { impl: string; threads: number; mhs: number; verdicts_per_s: number };
type Sample = { c: Line; ffi1: Line; ffiN: Line };

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "2" }, rounds: { type: "string", default: "3" } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const cores = availableParallelism();

/** Runs a command that prints JSON lines; returns them parsed. */
function jsonLines(cmd: string[]): Line[] {
  const p = Bun.spawnSync(cmd, { cwd: ROOT, stderr: "inherit" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${p.exitCode}`);
  return p.stdout
    .toString()
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Line);
}

function only(lines: Line[], impl: string, threads: number): Line {
  const l = lines.find((x) => x.impl === impl && x.threads === threads);
  if (l === undefined) throw new Error(`no result for ${impl} with ${threads} thread(s)`);
  return l;
}

const vbridge = (impl: string, threads: number) =>
  jsonLines([
    process.execPath,
    "src/main.ts",
    "bench",
    "--impl",
    impl,
    "--threads",
    String(threads),
    "--seconds",
    String(seconds),
    "--json",
  ]);

/** Both drivers hash this job (a real v7 PBaaS header), so their rates compare directly. */
const JOB_HEX = bytesToHex(benchJob());

const impls = availableImpls();
const samples = new Map<string, Sample[]>(impls.map((i) => [i, []]));
console.log(
  `${rounds} rounds of ${seconds} s per measurement, ${cores} cores, implementations: ${impls.join(", ")}`,
);
for (let r = 1; r <= rounds; r++) {
  for (const impl of impls) {
    const c = only(
      jsonLines([C_BENCH, "--impl", impl, "--seconds", String(seconds), "--header", JOB_HEX]),
      impl,
      1,
    );
    const ffi1 = only(vbridge(impl, 1), impl, 1);
    const ffiN = cores > 1 ? only(vbridge(impl, cores), impl, cores) : ffi1;
    samples.get(impl)!.push({ c, ffi1, ffiN });
    const mhs = [c, ffi1, ffiN].map((l) => l.mhs.toFixed(3));
    console.log(
      `round ${r} ${impl.padEnd(8)} C ${mhs[0]}  bun:ffi ${mhs[1]}  bun:ffi ${cores}T ${mhs[2]} MH/s`,
    );
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;

console.log(`\nscan, MH/s (median of ${rounds}); the same vh_scan loop, ${SCAN_BATCH} nonces per call`);
// The per-nonce cost depends a little on the job (its key), so the two drivers' jobs matter.
console.log(
  "job: mainnet block 2549501 (solution version 7, PBaaS-cleared), the same bytes for both drivers",
);
const SCAN_WIDTHS = [8, 7, 7, 8, 7, 6];
console.log(row(["impl", "C 1T", "ffi 1T", "ffi vs C", `ffi ${cores}T`, `${cores}T/1T`], SCAN_WIDTHS));
for (const [impl, s] of samples) {
  const c = median(s.map((x) => x.c.mhs));
  const f1 = median(s.map((x) => x.ffi1.mhs));
  const fN = median(s.map((x) => x.ffiN.mhs));
  const cells = [
    impl,
    c.toFixed(3),
    f1.toFixed(3),
    pct(f1 / c - 1),
    fN.toFixed(3),
    `${(fN / f1).toFixed(2)}x`,
  ];
  console.log(row(cells, SCAN_WIDTHS));
}

console.log(`\nshare verdicts per second, 1 thread, one job (median of ${rounds})`);
const VERDICT_WIDTHS = [8, 16, 24];
console.log(row(["impl", "C vh_hash_header", "TS hashHeaderInto+target"], VERDICT_WIDTHS));
for (const [impl, s] of samples) {
  const c = median(s.map((x) => x.c.verdicts_per_s));
  const t = median(s.map((x) => x.ffi1.verdicts_per_s));
  console.log(row([impl, thousands(c), thousands(t)], VERDICT_WIDTHS));
}

/**
 * `make bench`: the scan loop and the share check driven from C (native/bench.c) beside the same
 * library driven through bun:ffi (`vbridge bench`), alternating in one run so that both see the same
 * machine. Prints numbers, never passes or fails on them (STYLE.md §15).
 *
 *   bun bench/run.ts [--seconds S] [--rounds N] [--lanes 1,0]
 *
 * One row per implementation and lane count: --lanes lists the counts to measure (0 is the
 * implementation's fastest, shown as the count it resolves to; a count that resolves to one already
 * listed is measured once). Each round runs, per row: the C driver (1 thread), then vbridge bench
 * with 1 thread and with one thread per core, so every row sees the same machine. The table shows
 * medians over the rounds; "vs 1 lane" divides a row's ffi 1T by its implementation's 1-lane row.
 */
import { availableParallelism, cpus } from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { availableImpls, Hasher, type ImplName } from "../src/hash/index.ts";
import { benchJob } from "../src/perf/job.ts";
import { bytesToHex } from "../src/util/hex.ts";
import { SCAN_BATCH } from "../src/perf/scan.ts";
import { row, thousands } from "../src/util/table.ts";

const ROOT = join(import.meta.dir, "..");
const C_BENCH = join(ROOT, "build/native/bench");

type Line = { impl: string; lanes: number; threads: number; mhs: number; verdicts_per_s: number };
type Sample = { c: Line; ffi1: Line; ffiN: Line };
/** One table row: an implementation at one lane count (as in effect, never 0). */
type Row = { impl: string; lanes: number; samples: Sample[] };

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    lanes: { type: "string", default: "1,0" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const laneChoices = values.lanes.split(",").map((s) => Number(s.trim()));
if (
  !(seconds > 0) ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  !laneChoices.every((l) => Number.isInteger(l) && l >= 0 && l <= Hasher.LANES_MAX)
) {
  console.error(
    `usage: bun bench/run.ts [--seconds S] [--rounds N] [--lanes L,L,...] (L: 0..${Hasher.LANES_MAX})`,
  );
  process.exit(2);
}
const cores = availableParallelism();

/** The CPU's name (os.cpus() reads it from /proc/cpuinfo on Linux) and, on x86 Linux, whether it
 * has the extensions a wider AES build would need (issue 15's note: none ships yet). */
function cpuModel(): string {
  const model = cpus()[0]?.model ?? "unknown CPU";
  let flags: string | undefined;
  try {
    flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1];
  } catch {
    // not Linux: the name alone
  }
  if (flags === undefined) return model;
  const have = new Set(flags.trim().split(/\s+/));
  const isa = ["avx512f", "vaes", "vpclmulqdq"].map((f) => `${f} ${have.has(f) ? "yes" : "no"}`);
  return `${model} (${isa.join(", ")})`;
}

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

/** The scan line of `impl` with `threads` threads; it must report the lane count asked for. */
function only(lines: Line[], r: Row, threads: number): Line {
  const l = lines.find((x) => x.impl === r.impl && x.threads === threads);
  if (l === undefined) throw new Error(`no result for ${r.impl} with ${threads} thread(s)`);
  if (l.lanes !== r.lanes) throw new Error(`${r.impl}: asked for ${r.lanes} lanes, ran ${l.lanes}`);
  return l;
}

const vbridge = (r: Row, threads: number) =>
  jsonLines([
    process.execPath,
    "src/main.ts",
    "bench",
    "--impl",
    r.impl,
    "--lanes",
    String(r.lanes),
    "--threads",
    String(threads),
    "--seconds",
    String(seconds),
    "--json",
  ]);

/** The lane count `lanes` resolves to for `impl` (0: its fastest), as the library reports it. */
function effectiveLanes(impl: ImplName, lanes: number): number {
  const h = Hasher.open(impl, lanes);
  const n = h.lanes;
  h.close();
  return n;
}

/** Both drivers hash this job (a real v7 PBaaS header), so their rates compare directly. */
const JOB_HEX = bytesToHex(benchJob());

const impls = availableImpls();
const rows: Row[] = impls.flatMap((impl) =>
  [...new Set(laneChoices.map((l) => effectiveLanes(impl, l)))].map((lanes) => ({
    impl,
    lanes,
    samples: [],
  })),
);
console.log(`CPU: ${cpuModel()}`);
console.log(
  `${rounds} rounds of ${seconds} s per measurement, ${cores} cores, ` +
    `rows: ${rows.map((r) => `${r.impl} ${r.lanes}L`).join(", ")} (--lanes ${values.lanes})`,
);
for (let n = 1; n <= rounds; n++) {
  for (const r of rows) {
    const c = only(
      jsonLines([
        C_BENCH,
        "--impl",
        r.impl,
        "--lanes",
        String(r.lanes),
        "--seconds",
        String(seconds),
        "--header",
        JOB_HEX,
      ]),
      r,
      1,
    );
    const ffi1 = only(vbridge(r, 1), r, 1);
    const ffiN = cores > 1 ? only(vbridge(r, cores), r, cores) : ffi1;
    r.samples.push({ c, ffi1, ffiN });
    const mhs = [c, ffi1, ffiN].map((l) => l.mhs.toFixed(3));
    console.log(
      `round ${n} ${r.impl.padEnd(8)} ${r.lanes}L  C ${mhs[0]}  bun:ffi ${mhs[1]}  bun:ffi ${cores}T ${mhs[2]} MH/s`,
    );
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
const ffi1Of = (r: Row) => median(r.samples.map((x) => x.ffi1.mhs));

console.log(`\nscan, MH/s (median of ${rounds}); the same vh_scan loop, ${SCAN_BATCH} nonces per call`);
// The per-nonce cost depends a little on the job (its key), so the two drivers' jobs matter.
console.log(
  "job: mainnet block 2549501 (solution version 7, PBaaS-cleared), the same bytes for both drivers",
);
const SCAN_WIDTHS = [8, 5, 7, 7, 8, 7, 6, 9];
console.log(
  row(
    ["impl", "lanes", "C 1T", "ffi 1T", "ffi vs C", `ffi ${cores}T`, `${cores}T/1T`, "vs 1 lane"],
    SCAN_WIDTHS,
  ),
);
for (const r of rows) {
  const c = median(r.samples.map((x) => x.c.mhs));
  const f1 = ffi1Of(r);
  const fN = median(r.samples.map((x) => x.ffiN.mhs));
  const one = rows.find((o) => o.impl === r.impl && o.lanes === 1);
  const cells = [
    r.impl,
    String(r.lanes),
    c.toFixed(3),
    f1.toFixed(3),
    pct(f1 / c - 1),
    fN.toFixed(3),
    `${(fN / f1).toFixed(2)}x`,
    one === undefined ? "-" : `${(f1 / ffi1Of(one)).toFixed(2)}x`,
  ];
  console.log(row(cells, SCAN_WIDTHS));
}

// A share check hashes one header: lanes do not change it, so one line per implementation.
console.log(`\nshare verdicts per second, 1 thread, one job (median of ${rounds})`);
const VERDICT_WIDTHS = [8, 16, 24];
console.log(row(["impl", "C vh_hash_header", "TS hashHeaderInto+target"], VERDICT_WIDTHS));
for (const impl of impls) {
  const s = rows.filter((r) => r.impl === impl).flatMap((r) => r.samples);
  const c = median(s.map((x) => x.c.verdicts_per_s));
  const t = median(s.map((x) => x.ffi1.verdicts_per_s));
  console.log(row([impl, thousands(c), thousands(t)], VERDICT_WIDTHS));
}

/**
 * `vbridge bench`: scan MH/s per implementation and thread count (worker threads, one Hasher
 * each, scanning --lanes nonces at once; the table says how many were in effect), share verdicts per second through the TypeScript API on one thread, and the whole share
 * path per transport (decode → verdict → ledger commit → reply, src/perf/share-path.ts).
 * Numbers only; `make bench` (bench/run.ts) puts them beside the same loop driven from C.
 */
import { availableParallelism } from "node:os";
import { defineCommand } from "citty";
import { Hasher, type ImplName } from "../hash/index.ts";
import { benchJob } from "../perf/job.ts";
import { benchScan } from "../perf/scan.ts";
import { benchSharePath } from "../perf/share-path.ts";
import { benchVerdicts } from "../perf/verdicts.ts";
import { row, thousands } from "../util/table.ts";
import { implArg, implsOf, parseIntFlag, parseSecondsFlag, rejectUnknownOptions } from "./args.ts";

const MAX_THREADS = 256;

const args = {
  ...implArg,
  threads: { type: "string", description: "scan with exactly N threads (default: 1 and one per core)" },
  lanes: {
    type: "string",
    default: "0",
    description: "nonces each thread hashes at once: 1..4, or 0 for the implementation's fastest",
  },
  seconds: { type: "string", default: "3", description: "duration of each measurement" },
  json: { type: "boolean", default: false, description: "one JSON object per line" },
} as const;

/** `lanes`: the count in effect (0 resolved to the implementation's fastest). */
export type BenchLine = {
  impl: ImplName;
  lanes: number;
  threads: number;
  mhs: number;
  verdicts_per_s: number;
};

export const benchCommand = defineCommand({
  meta: { name: "bench", description: "measure scan MH/s and share verdicts/s" },
  args,
  async run({ args: a, rawArgs }) {
    rejectUnknownOptions(rawArgs, args);
    const impls = implsOf(a.impl);
    const cores = availableParallelism();
    const threadCounts =
      a.threads === undefined
        ? [...new Set([1, cores])]
        : [parseIntFlag("threads", a.threads, 1, MAX_THREADS)];
    const lanes = parseIntFlag("lanes", a.lanes, 0, Hasher.LANES_MAX);
    const seconds = parseSecondsFlag("seconds", a.seconds);
    const job = benchJob();

    if (!a.json)
      console.log(
        row(["impl", "lanes", "threads", "scan MH/s", "per thread", "verdicts/s (1 thread)"], WIDTHS),
      );
    for (const impl of impls) {
      const verdicts = Math.round(benchVerdicts(impl, seconds, job));
      for (const threads of threadCounts) {
        const scan = await benchScan(impl, threads, seconds, job, lanes);
        const line: BenchLine = {
          impl,
          lanes: scan.lanes,
          threads,
          mhs: Math.round(scan.mhs * 1000) / 1000,
          verdicts_per_s: verdicts,
        };
        console.log(a.json ? JSON.stringify(line) : formatLine(line));
      }
    }
    // The share path on one core, with the best (or the chosen) implementation.
    for (const transport of ["ws-msgpack", "stratum"] as const) {
      const line = await benchSharePath(transport, a.impl === undefined ? "auto" : impls[0]!, seconds);
      console.log(
        a.json
          ? JSON.stringify(line)
          : `share path ${transport}: ${thousands(line.verdicts_per_s)} verdicts/s (decode → verdict → ledger commit → reply, one core)`,
      );
    }
    return 0;
  },
});

const WIDTHS = [8, 5, 7, 9, 10, 21];

function formatLine(l: BenchLine): string {
  const cells = [
    l.impl,
    String(l.lanes),
    String(l.threads),
    l.mhs.toFixed(3),
    (l.mhs / l.threads).toFixed(3),
  ];
  return row([...cells, thousands(l.verdicts_per_s)], WIDTHS);
}

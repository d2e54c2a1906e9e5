/**
 * VerusHash in WebAssembly, technique by technique and lane count by lane count: the scan rate of
 * one thread on the same job (the mining-seq job of the shared vectors) in Bun's engine
 * (JavaScriptCore) and in one Web Worker of headless Chromium (V8), the engine of the browser
 * miner. Rounds alternate between the modules and the median is printed; inside a round, a
 * module's lane counts take turns every 100 ms (bench/wasm-scan.ts), so a busy machine skews them
 * alike and "vs 1" (the median of the rounds' ratios) holds.
 *
 *   bun bench/wasm.ts [--seconds S] [--rounds N] [--no-chromium] [--all-cores] [--all-lanes]
 *
 * Two tables: the served SIMD build and the portable build at every lane count (vh_scan hashing
 * 1..LANES_MAX nonces at once, interleaved), each against its own one-lane rate; then the
 * techniques at their build's default (fastest) lane count. Modules: build/wasm/*.wasm (what the
 * bridge serves) and build/wasm/bench/*.wasm (the SIMD build with one technique swapped back,
 * `make bench-wasm` builds them). --all-lanes gives every technique the lane rows; --all-cores also
 * runs one worker per core in Chromium with the served SIMD build.
 */
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LANES_MAX } from "../src/hash/abi.ts";
import embedded from "../src/hash/selftest-vectors.json";
import { WasmHasher, type WasmImplChoice } from "../src/hash/wasm.ts";
import { scanRates } from "./wasm-scan.ts";
import { hexToBytes } from "../src/util/hex.ts";
import { launchChromium } from "../test/browser/chromium.ts";

const ROOT = join(import.meta.dir, "..");
const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    "no-chromium": { type: "boolean", default: false },
    "all-cores": { type: "boolean", default: false },
    "all-lanes": { type: "boolean", default: false },
  },
});
const SECONDS = Number(opts.seconds);
const ROUNDS = Number(opts.rounds);

interface Variant {
  name: string;
  file: string; // relative to build/wasm
  impl: WasmImplChoice;
}

const PORTABLE: Variant = {
  name: "portable (plain build: table AES, scalar clmul)",
  file: "verushash.wasm",
  impl: "portable",
};
const SERVED: Variant = {
  name: "SIMD: table AES on columns, SIMD clmul (served)",
  file: "verushash-simd.wasm",
  impl: "wasm-simd",
};
const ALL_VARIANTS: Variant[] = [
  PORTABLE,
  {
    name: "SIMD: vector-permute AES (swizzle)",
    file: "bench/verushash-simd-vperm-aes.wasm",
    impl: "wasm-simd",
  },
  {
    name: "SIMD: table AES on vectors every round",
    file: "bench/verushash-simd-vector-table-aes.wasm",
    impl: "wasm-simd",
  },
  {
    name: "SIMD: table AES on columns, scalar clmul",
    file: "bench/verushash-simd-scalar-clmul.wasm",
    impl: "wasm-simd",
  },
  SERVED,
];
const VARIANTS = ALL_VARIANTS.filter((v) => existsSync(join(ROOT, "build/wasm", v.file)));
const LANE_VARIANTS = opts["all-lanes"] ? VARIANTS : [SERVED, PORTABLE].filter((v) => VARIANTS.includes(v));

const JOB = hexToBytes(embedded.mining.job);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One measurement: a module at some lane counts (0 = the build's default), scanned in turns. */
interface Group {
  v: Variant;
  lanes: number[];
}

// Each file is compiled once per engine: the engine's optimised code stays with the module, so
// only the first round of a module pays for the tier-up.
const modules = new Map<string, Promise<WebAssembly.Module>>();
function compileFile(file: string): Promise<WebAssembly.Module> {
  const bytes = () => Bun.file(join(ROOT, "build/wasm", file)).arrayBuffer();
  if (!modules.has(file))
    modules.set(
      file,
      bytes().then((b) => WebAssembly.compile(b)),
    );
  return modules.get(file)!;
}

const bunRates = async ({ v, lanes }: Group) =>
  scanRates(await compileFile(v.file), v.impl, lanes, JOB, SECONDS);

// The Chromium side: a page that compiles a module and runs scanRates in `workers` Web Workers.
const WORKER_SOURCE = `
import { scanRates } from "${join(import.meta.dir, "wasm-scan.ts")}";
onmessage = async (e) => {
  const { module, impl, lanes, job, seconds } = e.data;
  postMessage(await scanRates(module, impl, lanes, job, seconds));
};`;
const PAGE = `<!doctype html><meta charset="utf-8"><script>
const modules = new Map();
async function rates(file, impl, lanes, job, seconds, workers) {
  if (!modules.has(file)) modules.set(file, await WebAssembly.compileStreaming(fetch("/wasm/" + file)));
  const module = modules.get(file);
  const runs = Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const w = new Worker("/worker.js");
    w.onmessage = (e) => { resolve(e.data); w.terminate(); };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage({ module, impl, lanes, job, seconds });
  }));
  return Promise.all(runs);
}
</script>`;

async function chromiumRates(): Promise<{
  /** Per worker, the rates of the group's lane counts. */
  rates(group: Group, workers: number): Promise<number[][]>;
  close(): Promise<void>;
}> {
  const entry = join(ROOT, "build/bench-wasm-worker.ts");
  await Bun.write(entry, WORKER_SOURCE);
  const bundle = await Bun.build({ entrypoints: [entry], target: "browser", format: "iife" });
  if (!bundle.success) throw new AggregateError(bundle.logs, "worker bundle failed");
  const worker = await bundle.outputs[0]!.text();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/") return new Response(PAGE, { headers: { "Content-Type": "text/html" } });
      if (path === "/worker.js")
        return new Response(worker, { headers: { "Content-Type": "text/javascript" } });
      if (path.startsWith("/wasm/"))
        return new Response(Bun.file(join(ROOT, "build", path)), {
          headers: { "Content-Type": "application/wasm" },
        });
      return new Response("not found", { status: 404 });
    },
  });
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.port}/`);
  const job = Array.from(JOB);
  return {
    rates: ({ v, lanes }, workers) =>
      page.evaluate(
        ([file, impl, l, j, s, w]) =>
          (globalThis as unknown as { rates: (...a: unknown[]) => Promise<number[][]> }).rates(
            file,
            impl,
            l,
            Uint8Array.from(j as number[]),
            s,
            w,
          ),
        [v.file, v.impl, lanes, job, SECONDS, workers] as const,
      ),
    close: async () => {
      await browser.close();
      server.stop(true);
    },
  };
}

const mhs = (x: number) => (x / 1e6).toFixed(3);
const cell = (xs: number[] | null, width: number) => (xs === null ? "-" : mhs(median(xs))).padStart(width);
/** The median of the per-round ratios: each round's lane counts ran in the same turns. */
const ratio = (xs: number[] | null, one: number[] | null) =>
  (xs === null || one === null ? "-" : `${median(xs.map((x, i) => x / one[i]!)).toFixed(2)}x`).padStart(6);

// The lane groups: the served SIMD build and the portable build at 1..LANES_MAX lanes; the
// technique groups: the other SIMD variants at their default. The technique rows of the portable
// and served builds are their lane rows at the build's default (VH_BEST_LANES, read from a context).
const defaultLanes = new Map<Variant, number>();
for (const v of VARIANTS)
  defaultLanes.set(v, (await WasmHasher.create(await compileFile(v.file), v.impl)).lanes);
const ALL_LANES = Array.from({ length: LANES_MAX }, (_, i) => i + 1);
const groups: Group[] = [
  ...LANE_VARIANTS.map((v) => ({ v, lanes: ALL_LANES })),
  ...VARIANTS.filter((v) => !LANE_VARIANTS.includes(v)).map((v) => ({ v, lanes: [defaultLanes.get(v)!] })),
];
/** Per group, per lane count: the rate of each round. */
const bun = groups.map((g) => g.lanes.map((): number[] => []));
const chrome = groups.map((g) => g.lanes.map((): number[] => []));
const chromium = opts["no-chromium"] ? null : await chromiumRates();
console.log(
  `VerusHash 2.2 in WebAssembly: MH/s of one thread, median of ${ROUNDS} rounds of ${SECONDS} s per lane count (${cpus().length} cores, ${cpus()[0]?.model ?? "?"})`,
);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, g] of groups.entries()) {
    for (const [j, x] of (await bunRates(g)).entries()) bun[i]![j]!.push(x);
    if (chromium !== null)
      for (const [j, x] of (await chromium.rates(g, 1))[0]!.entries()) chrome[i]![j]!.push(x);
  }
}
const samples = (g: Group, lanes: number) => {
  const i = groups.findIndex((x) => x.v === g.v);
  const j = groups[i]!.lanes.indexOf(lanes);
  return { bun: bun[i]![j]!, chrome: chromium === null ? null : chrome[i]![j]! };
};
const laneGroups = groups.filter((x) => x.lanes.length > 1);
const NAME = Math.max(56, ...laneGroups.map((g) => g.v.file.length + 20)); // ", N lanes (default)"
console.log(
  `\n${"build, lanes".padEnd(NAME)} ${"Bun".padStart(8)} ${"vs 1".padStart(6)} ${"Chromium".padStart(9)} ${"vs 1".padStart(6)}`,
);
for (const g of laneGroups) {
  const one = samples(g, 1);
  for (const lanes of g.lanes) {
    const s = samples(g, lanes);
    const name = `${g.v.file}, ${lanes} lane${lanes > 1 ? "s" : ""}${lanes === defaultLanes.get(g.v) ? " (default)" : ""}`;
    console.log(
      `${name.padEnd(NAME)} ${cell(s.bun, 8)} ${ratio(s.bun, one.bun)} ${cell(s.chrome, 9)} ${ratio(s.chrome, one.chrome)}`,
    );
  }
}
console.log(`\n${"technique (default lanes)".padEnd(56)} ${"Bun".padStart(8)} ${"Chromium".padStart(9)}`);
for (const v of VARIANTS) {
  const lanes = defaultLanes.get(v)!;
  const s = samples(
    groups.find((g) => g.v === v)!,
    lanes,
  );
  console.log(`${`${v.name} [${lanes}]`.padEnd(56)} ${cell(s.bun, 8)} ${cell(s.chrome, 9)}`);
}
if (chromium !== null && opts["all-cores"] && VARIANTS.includes(SERVED)) {
  const rates = (await chromium.rates({ v: SERVED, lanes: [0] }, cpus().length)).map((r) => r[0]!);
  console.log(
    `Chromium, ${rates.length} workers (served SIMD build, default lanes): ${rates.map(mhs).join(" + ")} = ${mhs(rates.reduce((a, b) => a + b, 0))} MH/s`,
  );
}
await chromium?.close();

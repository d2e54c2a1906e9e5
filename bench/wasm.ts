/**
 * VerusHash in WebAssembly, technique by technique: the scan rate of one thread on the same job
 * (the mining-seq job of the shared vectors) in Bun's engine (JavaScriptCore) and in one Web
 * Worker of headless Chromium (V8), the engine of the browser miner. Rounds alternate between
 * the modules and the median is printed, so a busy machine skews them all alike.
 *
 *   bun bench/wasm.ts [--seconds S] [--rounds N] [--no-chromium] [--all-cores]
 *
 * Modules: build/wasm/*.wasm (what the bridge serves) and build/wasm/bench/*.wasm (the SIMD build
 * with one technique swapped back, `make bench-wasm` builds them). --all-cores also runs one
 * worker per core in Chromium with the served SIMD build.
 */
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import embedded from "../src/hash/selftest-vectors.json";
import { WasmHasher, type WasmImplChoice } from "../src/hash/wasm.ts";
import { hexToBytes } from "../src/util/hex.ts";
import { launchChromium } from "../test/browser/chromium.ts";

const ROOT = join(import.meta.dir, "..");
const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    "no-chromium": { type: "boolean", default: false },
    "all-cores": { type: "boolean", default: false },
  },
});
const SECONDS = Number(opts.seconds);
const ROUNDS = Number(opts.rounds);

interface Variant {
  name: string;
  file: string; // relative to build/wasm
  impl: WasmImplChoice;
}

const ALL_VARIANTS: Variant[] = [
  { name: "portable (plain build: table AES, scalar clmul)", file: "verushash.wasm", impl: "portable" },
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
  { name: "SIMD: table AES on columns, SIMD clmul (served)", file: "verushash-simd.wasm", impl: "wasm-simd" },
];
const VARIANTS = ALL_VARIANTS.filter((v) => existsSync(join(ROOT, "build/wasm", v.file)));

const JOB = hexToBytes(embedded.mining.job);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Hashes per second of one WasmHasher scanning the job for `seconds` (after a short warm-up). */
async function bunRate(v: Variant): Promise<number> {
  const module = await WebAssembly.compile(await Bun.file(join(ROOT, "build/wasm", v.file)).arrayBuffer());
  const h = await WasmHasher.create(module, v.impl);
  h.prepareJob(JOB);
  const tail = JOB.slice(1472);
  const target = new Uint8Array(32); // nothing meets it: a pure scan
  let start = 0;
  const batch = 4096;
  const t0 = performance.now();
  while (performance.now() - t0 < 300) h.scan(tail, (start += batch), batch, target);
  let n = 0;
  const t1 = performance.now();
  while (performance.now() - t1 < SECONDS * 1000) {
    h.scan(tail, (start += batch), batch, target);
    n += batch;
  }
  return n / ((performance.now() - t1) / 1000);
}

// The Chromium side: a page that compiles a module and runs it in `workers` Web Workers, each
// scanning the job exactly as bunRate does; the worker is bundled from this file's twin below.
const WORKER_SOURCE = `
import { WasmHasher } from "${join(ROOT, "src/hash/wasm.ts")}";
onmessage = async (e) => {
  const { module, impl, job, seconds } = e.data;
  const h = await WasmHasher.create(module, impl);
  h.prepareJob(job);
  const tail = job.slice(1472), target = new Uint8Array(32), batch = 4096;
  let start = 0, n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 300) h.scan(tail, (start += batch), batch, target);
  const t1 = performance.now();
  while (performance.now() - t1 < seconds * 1000) { h.scan(tail, (start += batch), batch, target); n += batch; }
  postMessage(n / ((performance.now() - t1) / 1000));
};`;
const PAGE = `<!doctype html><meta charset="utf-8"><script>
async function rate(file, impl, job, seconds, workers) {
  const module = await WebAssembly.compileStreaming(fetch("/wasm/" + file));
  const runs = Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const w = new Worker("/worker.js");
    w.onmessage = (e) => { resolve(e.data); w.terminate(); };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage({ module, impl, job, seconds });
  }));
  return Promise.all(runs);
}
</script>`;

async function chromiumRates(): Promise<{
  rate(v: Variant, workers: number): Promise<number[]>;
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
    rate: (v, workers) =>
      page.evaluate(
        ([file, impl, j, s, w]) =>
          (globalThis as unknown as { rate: (...a: unknown[]) => Promise<number[]> }).rate(
            file,
            impl,
            Uint8Array.from(j as number[]),
            s,
            w,
          ),
        [v.file, v.impl, job, SECONDS, workers] as const,
      ),
    close: async () => {
      await browser.close();
      server.stop(true);
    },
  };
}

const mhs = (x: number) => (x / 1e6).toFixed(3);
const bun: number[][] = VARIANTS.map(() => []);
const chrome: number[][] = VARIANTS.map(() => []);
const chromium = opts["no-chromium"] ? null : await chromiumRates();
console.log(
  `VerusHash 2.2 in WebAssembly: MH/s of one thread, median of ${ROUNDS} rounds of ${SECONDS} s (${cpus().length} cores, ${cpus()[0]?.model ?? "?"})`,
);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, v] of VARIANTS.entries()) {
    bun[i]!.push(await bunRate(v));
    if (chromium !== null) chrome[i]!.push((await chromium.rate(v, 1))[0]!);
  }
}
console.log(`${"technique".padEnd(52)} ${"Bun".padStart(8)} ${"Chromium".padStart(9)}`);
for (const [i, v] of VARIANTS.entries())
  console.log(
    `${v.name.padEnd(52)} ${mhs(median(bun[i]!)).padStart(8)} ${chromium === null ? "-".padStart(9) : mhs(median(chrome[i]!)).padStart(9)}`,
  );
if (chromium !== null && opts["all-cores"]) {
  const served = VARIANTS.at(-1)!;
  const rates = await chromium.rate(served, cpus().length);
  console.log(
    `Chromium, ${rates.length} workers (served SIMD build): ${rates.map(mhs).join(" + ")} = ${mhs(rates.reduce((a, b) => a + b, 0))} MH/s`,
  );
}
await chromium?.close();

// vectors-page.ts — runs in Chromium (bundled by wasm-vectors.chromium.ts): every VerusHash 2.2
// vector through both WebAssembly builds and every implementation in them, the same checks as
// `vbridge selftest` (src/hash/vector-checks.ts), plus wasm-simd against portable on random
// inputs and every scan lane count against one lane. The outcome lands in window.vectorResults
// for the test to read.

import { LANES_MAX } from "../../src/hash/abi.ts";
import { runVectorChecks, type SelftestResult } from "../../src/hash/vector-checks.ts";
import type { SelftestVectors } from "../../src/hash/vectors.ts";
import {
  WASM_FILE,
  WASM_SIMD_FILE,
  WasmHasher,
  wasmSimdSupported,
  type WasmImplChoice,
} from "../../src/hash/wasm.ts";

export interface PageResults {
  simdSupported: boolean;
  runs: (SelftestResult & { file: string })[];
  differential: { inputs: number; mismatches: number };
  /** Scans of both builds at lanes 0..LANES_MAX that found other nonces than lanes = 1. */
  lanes: { scans: number; found: number; mismatches: number };
  error?: string;
}

const RUNS: [string, WasmImplChoice][] = [
  [WASM_FILE, "portable"],
  [WASM_SIMD_FILE, "portable"],
  [WASM_SIMD_FILE, "wasm-simd"],
];

async function main(): Promise<PageResults> {
  const vectors = (await (await fetch("vectors.json")).json()) as SelftestVectors;
  const modules = new Map<string, WebAssembly.Module>();
  for (const file of [WASM_FILE, WASM_SIMD_FILE])
    modules.set(file, await WebAssembly.compileStreaming(fetch(file)));
  const runs = [];
  for (const [file, impl] of RUNS)
    runs.push({ file, ...runVectorChecks(await WasmHasher.create(modules.get(file)!, impl), vectors) });

  // Random lengths and bytes, and PBaaS-shaped headers (the cleared-job cache): simd == portable.
  const simd = await WasmHasher.create(modules.get(WASM_SIMD_FILE)!, "wasm-simd");
  const portable = await WasmHasher.create(modules.get(WASM_SIMD_FILE)!, "portable");
  let seed = 0x9e3779b9;
  const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24;
  let mismatches = 0;
  const inputs = 200;
  for (let i = 0; i < inputs; i++) {
    const input = Uint8Array.from({ length: i % 5 === 0 ? 32 + rnd() * 7 : 1487 }, rnd);
    const same = (a: Uint8Array, b: Uint8Array) => a.every((x, j) => x === b[j]);
    if (!same(simd.hash(input), portable.hash(input))) mismatches++;
    if (input.length === 1487) {
      input[143] = 7;
      input[148] = 1;
      if (!same(simd.hashHeader(input).hash, portable.hashHeader(input).hash)) mismatches++;
    }
  }
  return {
    simdSupported: wasmSimdSupported(),
    runs,
    differential: { inputs, mismatches },
    lanes: await laneScans(modules),
  };
}

/** Each build's scan at every lane count against one lane, on a PBaaS-shaped random header: a
 * target about one hash in 16 meets, counts that are no multiple of the lanes, and max found. */
async function laneScans(modules: Map<string, WebAssembly.Module>): Promise<PageResults["lanes"]> {
  let seed = 0x2545f491;
  const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24;
  const header = Uint8Array.from({ length: 1487 }, rnd);
  header[143] = 7;
  header[148] = 1;
  const tail = header.slice(1472);
  const target = new Uint8Array(32).fill(0xff);
  target[31] = 0x0f;
  const cases: [number, number, number][] = [
    [1001, 397, 64],
    [77, 5, 64],
    [3000, 299, 3],
  ];
  let scans = 0;
  let found = 0;
  let mismatches = 0;
  for (const module of modules.values()) {
    const hashers = [];
    for (let lanes = 0; lanes <= LANES_MAX; lanes++)
      hashers.push(await WasmHasher.create(module, "auto", lanes));
    for (const h of hashers) h.prepareJob(header);
    for (const [start, count, maxFound] of cases) {
      const one = hashers[1]!.scan(tail, start, count, target, maxFound);
      found += one.length;
      const want = one.join();
      for (const h of hashers) {
        scans++;
        if (h.scan(tail, start, count, target, maxFound).join() !== want) mismatches++;
      }
    }
  }
  return { scans, found, mismatches };
}

const w = globalThis as unknown as { vectorResults?: PageResults };
main().then(
  (r) => (w.vectorResults = r),
  (e: unknown) =>
    (w.vectorResults = {
      simdSupported: false,
      runs: [],
      differential: { inputs: 0, mismatches: 0 },
      lanes: { scans: 0, found: 0, mismatches: 0 },
      error: String(e),
    }),
);

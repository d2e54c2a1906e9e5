/**
 * The measurement of bench/wasm.ts, the same in Bun and in a Chromium Web Worker (which bundles
 * this file): one context per lane count on one module, all scanning the same job in turns of
 * SLICE_MS until each has scanned for `seconds`. Turns this short make a busy machine (another
 * process on the other core, a frequency change) slow every lane count alike, so their ratios
 * hold even when the absolute rates drift between rounds.
 */
import { WasmHasher, type WasmImplChoice } from "../src/hash/wasm.ts";

const SLICE_MS = 100;
const WARM_UP_MS = 300; // the engine's optimising tier takes over a hot function within this
const BATCH = 1024;
const NONCE_WRAP = 2 ** 31;

/** Hashes per second of `module` at each of `lanes` (0 = the build's default), in that order. */
export async function scanRates(
  module: WebAssembly.Module,
  impl: WasmImplChoice,
  lanes: readonly number[],
  job: Uint8Array,
  seconds: number,
): Promise<number[]> {
  const hashers: WasmHasher[] = [];
  for (const l of lanes) hashers.push(await WasmHasher.create(module, impl, l));
  const tail = job.slice(1472);
  const target = new Uint8Array(32); // nothing meets it: a pure scan
  for (const h of hashers) h.prepareJob(job);
  let start = 0;
  /** Scans batches for at least `ms`: [hashes, milliseconds]. */
  const scanFor = (h: WasmHasher, ms: number): [number, number] => {
    const t0 = performance.now();
    let n = 0;
    let t = 0;
    do {
      h.scan(tail, start, BATCH, target);
      start = (start + BATCH) % NONCE_WRAP;
      n += BATCH;
    } while ((t = performance.now() - t0) < ms);
    return [n, t];
  };
  for (const h of hashers) scanFor(h, WARM_UP_MS);
  const hashes = lanes.map(() => 0);
  const ms = lanes.map(() => 0);
  const turns = Math.max(1, Math.round((seconds * 1000) / SLICE_MS));
  for (let turn = 0; turn < turns; turn++)
    for (const [i, h] of hashers.entries()) {
      const [n, t] = scanFor(h, SLICE_MS);
      hashes[i]! += n;
      ms[i]! += t;
    }
  return hashes.map((n, i) => n / (ms[i]! / 1000));
}

// miner-worker.ts — one mining Web Worker: instantiates the VerusHash module the page compiled
// (src/hash/wasm.ts) at the build's fastest lane count (VH_BEST_LANES: nonces per vh_scan step),
// prepares each job it is given and scans its chunk with vh_scan in batches of about 50 ms,
// posting found nonces at once and its hash count after every batch. Between batches it yields to
// its event loop (so new work and throttle changes arrive) and, when throttled, sleeps in
// proportion to the time it hashed. The page stops it with terminate().

import { WasmHasher } from "../src/hash/wasm.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import { tailWithCounter } from "./work.ts";

/** Target time of one batch: short enough that new work waits at most this long. */
const BATCH_MS = 50;
const MIN_BATCH = 64;
const MAX_BATCH = 1 << 20;

interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

type Work = Extract<ToWorker, { type: "work" }> & { next: number; prepared: boolean };

let hasher: WasmHasher | null = null;
let throttle = 100;
let work: Work | null = null;
let batch = 1024;
let running = false;

const post = (m: FromWorker) => scope.postMessage(m);

scope.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case "init":
      throttle = m.throttle;
      WasmHasher.create(m.module)
        .then((h) => {
          hasher = h;
          post({ type: "ready", impl: h.impl });
          run();
        })
        .catch((err: unknown) =>
          post({ type: "error", message: err instanceof Error ? err.message : String(err) }),
        );
      break;
    case "work":
      work = { ...m, next: m.start, prepared: false };
      run();
      break;
    case "throttle":
      throttle = m.throttle;
      break;
    case "pause":
      // The loop stops before its next batch; the page learns the chunk is dropped.
      if (work !== null) post({ type: "idle", key: work.key });
      work = null;
      break;
  }
};

/** A macrotask without the 4 ms clamp of nested timers: lets queued messages in. */
const channel = new MessageChannel();
const yieldQueue: (() => void)[] = [];
channel.port1.onmessage = () => yieldQueue.shift()?.();
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    yieldQueue.push(resolve);
    channel.port2.postMessage(null);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function run(): Promise<void> {
  if (running) return;
  running = true;
  try {
    while (hasher !== null && work !== null) {
      const w = work;
      if (!w.prepared) {
        // Another chunk of the same job costs a compare: the context keeps the prepared job.
        hasher.prepareJob(w.input);
        w.prepared = true;
      }
      const end = w.start + w.count;
      const n = Math.min(batch, end - w.next);
      const t0 = performance.now();
      const found = hasher.scan(w.tail, w.next, n, w.target);
      const ms = performance.now() - t0;
      w.next += n;
      for (const counter of found)
        post({ type: "share", key: w.key, tail: tailWithCounter(w.tail, counter) });
      post({ type: "progress", hashes: n, ms });
      batch = Math.max(MIN_BATCH, Math.min(MAX_BATCH, Math.round((n * BATCH_MS) / Math.max(ms, 1))));
      if (w.next >= end && work === w) {
        work = null;
        post({ type: "idle", key: w.key });
      }
      if (throttle < 100) await sleep((ms * (100 - throttle)) / throttle);
      else await yieldToEvents();
    }
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? err.message : String(err) });
  } finally {
    running = false;
  }
}

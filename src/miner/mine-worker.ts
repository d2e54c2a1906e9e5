/**
 * Worker entry of `vbridge mine`: one Hasher (one native context per thread, STYLE.md §7) scanning
 * batches of nonces with one FFI call each, until the stop flag is raised. Between batches it
 * polls the shared work sequence (shared.ts) and switches jobs on its own; what it finds goes to
 * the main thread, which re-verifies and submits. Listed in scripts/build.ts ENTRYPOINTS so that
 * it exists inside the compiled binary.
 *
 * Its nonce position (round, counter) only moves forward (nonce-space.ts): a new job or target
 * does not reset it, so no two batches of this worker ever hash the same tail.
 */
import {
  Hasher,
  HASH_BYTES,
  HASH_INPUT_BYTES,
  NONCE_TAIL_BYTES,
  TAIL_COUNTER_OFFSET,
} from "../hash/index.ts";
import { NONCE_OFFSET } from "../protocol/index.ts";
import type { WorkerReport, WorkerSetup } from "./messages.ts";
import { fillTail } from "./nonce-space.ts";
import { WorkView } from "./shared.ts";

declare const self: Worker;

const NONCES = 2 ** 32;
/** A batch should take about this long: short enough that a new job is seen within 50 ms. */
const BATCH_MS = 15;
const FIRST_BATCH = 4096; // ~2.5 ms at 1.7 MH/s; the rate measured on it sizes the next ones
const MIN_BATCH = 64; // the portable path under qemu manages a few thousand hashes a second
const MAX_BATCH = 1 << 22;
/** Idle workers wake this often to look at the stop flag even if nobody notifies them. */
const IDLE_WAIT_MS = 1000;
/** Found nonces per scan call; the scan stops early when full and the next batch resumes. */
const MAX_FOUND = 32;

const reply = (m: WorkerReport, transfer: Bun.Transferable[] = []) => self.postMessage(m, transfer);
const epochMs = () => performance.timeOrigin + performance.now();

self.onmessage = (e: MessageEvent<WorkerSetup>) => {
  if (e.data.type !== "setup") return;
  const { index, impl, lanes, buffers, start } = e.data;
  let hasher: Hasher | undefined;
  try {
    hasher = Hasher.open(impl, lanes);
    reply({ type: "ready" });
    // Runs until the stop flag: this handler never returns to the event loop before then.
    mine(hasher, new WorkView(buffers, index), index, start.round, start.counter);
    reply({ type: "stopped" });
  } catch (err) {
    const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : null;
    reply({ type: "error", message: err instanceof Error ? err.message : String(err), code });
  } finally {
    hasher?.close();
  }
};

function mine(hasher: Hasher, view: WorkView, index: number, firstRound: number, firstCounter: number): void {
  const header = new Uint8Array(HASH_INPUT_BYTES);
  const target = new Uint8Array(HASH_BYTES);
  const tail = new Uint8Array(NONCE_TAIL_BYTES);
  const found = new Uint32Array(MAX_FOUND);
  let seq = -1;
  let active = false;
  let extranonce1 = new Uint8Array(0);
  let round = firstRound;
  let counter = firstCounter;
  let total = 0;
  let batch = FIRST_BATCH;

  while (!view.stopped) {
    if (view.seq !== seq) {
      const w = view.read(header, target);
      seq = w.seq;
      active = w.active;
      if (active) {
        hasher.prepareJob(header); // miner-rule clearing, absorb, key: once per work
        extranonce1 = header.slice(NONCE_OFFSET, NONCE_OFFSET + w.extranonce1Length);
        fillTail(tail, extranonce1, index, round);
      }
      reply({ type: "switched", seq, active, at: epochMs() });
    }
    if (!active) {
      view.wait(seq, IDLE_WAIT_MS);
      continue;
    }
    const count = Math.min(batch, NONCES - counter);
    const t0 = performance.now();
    const n = hasher.scanInto(tail, counter, count, target, found);
    const ms = performance.now() - t0;
    // A full `found` stopped the scan after its last entry: resume right after it.
    const done = n === found.length ? found[n - 1]! + 1 - counter : count;
    if (n > 0) reportFound(seq, tail, found, n);
    counter += done;
    total += done;
    view.setHashes(total);
    if (counter === NONCES) {
      counter = 0;
      round++;
      fillTail(tail, extranonce1, index, round);
    }
    batch = nextBatch(batch, done, ms);
  }
}

function reportFound(seq: number, tail: Uint8Array, found: Uint32Array, n: number): void {
  const tails = new Uint8Array(n * NONCE_TAIL_BYTES);
  const view = new DataView(tails.buffer);
  for (let i = 0; i < n; i++) {
    tails.set(tail, i * NONCE_TAIL_BYTES);
    view.setUint32(i * NONCE_TAIL_BYTES + TAIL_COUNTER_OFFSET, found[i]!, true);
  }
  reply({ type: "found", seq, tails }, [tails.buffer]);
}

/** Sizes the next batch to take BATCH_MS at the rate just measured, smoothed over batches. */
function nextBatch(batch: number, done: number, ms: number): number {
  const wanted = ms < 0.5 ? batch * 2 : (done / ms) * BATCH_MS;
  return Math.round(Math.min(MAX_BATCH, Math.max(MIN_BATCH, (batch + wanted) / 2)));
}

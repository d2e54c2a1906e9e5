/**
 * Worker entry of the scan benchmark: its own Hasher (one context per thread, STYLE.md §7) scans
 * its own nonce range in batches until the time is up. Listed as an entry point in
 * scripts/build.ts so that it exists inside the compiled binary.
 */
import { Hasher, HASH_BYTES, JOB_PREFIX_BYTES, NONCE_TAIL_BYTES } from "../hash/index.ts";
import type { ScanGo, ScanReport, ScanSetup } from "./messages.ts";
import { SCAN_BATCH } from "./scan.ts";

declare const self: Worker;

let setup: ScanSetup | undefined;
let hasher: Hasher | undefined;

const reply = (m: ScanReport) => self.postMessage(m);

self.onmessage = (e: MessageEvent<ScanSetup | ScanGo>) => {
  try {
    if (e.data.type === "setup") {
      setup = e.data;
      hasher = Hasher.open(setup.impl, setup.lanes);
      hasher.prepareJob(setup.header);
      reply({ type: "ready", lanes: hasher.lanes });
    } else if (setup !== undefined && hasher !== undefined) {
      reply(scan(hasher, setup));
    }
  } catch (err) {
    reply({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
};

function scan(hasher: Hasher, s: ScanSetup): ScanReport {
  const tail = s.header.slice(JOB_PREFIX_BYTES, JOB_PREFIX_BYTES + NONCE_TAIL_BYTES);
  // An all-zero target: nothing is found, every nonce costs exactly one hash.
  const target = new Uint8Array(HASH_BYTES);
  const found = new Uint32Array(16);
  let next = s.start;
  let hashes = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    if (next + SCAN_BATCH > s.end) {
      next = s.start;
      tail[10] = (tail[10]! + 1) & 0xff; // a fresh slice of nonce space, never re-hashed
    }
    hasher.scanInto(tail, next, SCAN_BATCH, target, found);
    next += SCAN_BATCH;
    hashes += SCAN_BATCH;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < s.seconds);
  return { type: "done", hashes, seconds: elapsed };
}

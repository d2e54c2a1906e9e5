/**
 * Scan benchmark: N worker threads, each with its own Hasher scanning `lanes` nonces at once, scan
 * disjoint nonce ranges of one prepared job for a fixed time. Reports the total rate and the lane
 * count in effect; the batch matches native/bench.c so both drivers run the same C loop per call.
 */
import type { ImplName } from "../hash/index.ts";
import type { ScanReport, ScanSetup } from "./messages.ts";

/** Nonces per vh_scan call: native/bench.c's default batch. */
export const SCAN_BATCH = 65536;
const NONCE_SPACE = 2 ** 32;

/** `lanes`: what the workers' Hashers put in effect (never 0). */
export type ScanResult = { impl: ImplName; lanes: number; threads: number; mhs: number };

/** `lanes` 0 is the implementation's fastest; a bad count rejects with the workers' E_LANES message. */
export async function benchScan(
  impl: ImplName,
  threads: number,
  seconds: number,
  header: Uint8Array,
  lanes = 0,
): Promise<ScanResult> {
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL("./scan-worker.ts", import.meta.url).href),
  );
  try {
    const span = Math.floor(NONCE_SPACE / threads);
    const ready = await Promise.all(
      workers.map((w, i) => {
        const setup: ScanSetup = {
          type: "setup",
          impl,
          lanes,
          header,
          start: i * span,
          end: (i + 1) * span,
          seconds,
        };
        return exchange(w, setup, "ready");
      }),
    );
    const reports = await Promise.all(workers.map((w) => exchange(w, { type: "go" }, "done")));
    let hps = 0;
    for (const r of reports) if (r.type === "done") hps += r.hashes / r.seconds;
    const first = ready[0];
    return { impl, lanes: first?.type === "ready" ? first.lanes : 0, threads, mhs: hps / 1e6 };
  } finally {
    for (const w of workers) w.terminate();
  }
}

/** Posts one message and waits for the reply of the expected type; a worker error rejects. */
function exchange(w: Worker, msg: unknown, want: ScanReport["type"]): Promise<ScanReport> {
  return new Promise((resolve, reject) => {
    w.onerror = (e) => reject(new Error(`scan worker failed: ${e.message}`));
    w.onmessage = (e: MessageEvent<ScanReport>) => {
      if (e.data.type === "error") reject(new Error(`scan worker: ${e.data.message}`));
      else if (e.data.type === want) resolve(e.data);
    };
    w.postMessage(msg);
  });
}

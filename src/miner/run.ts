/**
 * runMiner: one whole `vbridge mine` run — start, mine until --duration, a stop signal or a fatal
 * worker error, stop cleanly, print the summary (JSON on `out` with --json, a log line always).
 * The CLI wires process signals to `signal`; tests and benchmarks call Miner directly when they
 * need to steer it.
 */
import type { MinerError } from "./errors.ts";
import { Miner, type MinerIO } from "./miner.ts";
import type { MinerOptions } from "./options.ts";
import { formatMinerSummary } from "./report.ts";
import type { MinerSummary } from "./stats.ts";

export interface RunIO extends MinerIO {
  /** Where the --json summary goes: one line, nothing else (stdout). */
  out(line: string): void;
  /** Aborted to stop (SIGINT / SIGTERM); its reason is logged. */
  signal?: AbortSignal;
}

/** Resolves with the summary after a clean stop; rejects with E_MINER_WORKER if a worker died. */
export async function runMiner(options: MinerOptions, io: RunIO): Promise<MinerSummary> {
  const miner = await Miner.start(options, io);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let onAbort: (() => void) | null = null;
  const ended = await new Promise<string | MinerError>((resolve) => {
    if (options.durationSeconds !== null)
      timer = setTimeout(
        () => resolve(`--duration ${options.durationSeconds} s reached`),
        options.durationSeconds * 1000,
      );
    const signal = io.signal;
    if (signal !== undefined) {
      onAbort = () => resolve(String(signal.reason ?? "stop requested"));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    void miner.fatal.then(resolve);
  });
  if (timer !== null) clearTimeout(timer);
  if (onAbort !== null) io.signal?.removeEventListener("abort", onAbort);
  const summary = await miner.stop(typeof ended === "string" ? ended : `${ended.code}: ${ended.message}`);
  io.log.info(formatMinerSummary(summary));
  if (typeof ended !== "string") throw ended;
  if (options.json) io.out(JSON.stringify(summary));
  return summary;
}

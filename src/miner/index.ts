/**
 * The headless miner's public surface (`vbridge mine`, mode = "miner").
 */
export { MinerError, type MinerErrorCode } from "./errors.ts";
export { Miner, type MinerEvent, type MinerIO } from "./miner.ts";
export {
  DEFAULT_REPORT_INTERVAL_SECONDS,
  resolveMinerOptions,
  type MinerOptions,
  type MinerOptionsInput,
} from "./options.ts";
export { MAX_EXTRANONCE1_BYTES, MAX_THREADS, nonceLayout, tailFor, type NonceLayout } from "./nonce-space.ts";
export { useColor } from "./report.ts";
export { runMiner, type RunIO } from "./run.ts";
export type { MinerSummary } from "./stats.ts";

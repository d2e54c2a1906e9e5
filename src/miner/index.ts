/**
 * The headless miner's public surface (`vbridge mine`, mode = "miner").
 */
export { MinerError } from "./errors.ts";
export { Miner, type MinerEvent, type MinerIO } from "./miner.ts";
export { resolveMinerOptions, type MinerOptions, type MinerOptionsInput } from "./options.ts";
export { useColor } from "./report.ts";
export { runMiner } from "./run.ts";
export type { MinerSummary } from "./stats.ts";

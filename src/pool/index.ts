// index.ts — the built-in pool's public surface.

export { PoolServer } from "./server.ts";
export {
  resolvePoolOptions,
  checkDifficulty,
  DEFAULT_DIFFICULTY,
  DEFAULT_PORT,
  FLOOD_GUARD_BYTES,
  type PoolOptions,
  type ResolvedPoolOptions,
} from "./options.ts";
export { PoolError, type PoolErrorCode } from "./errors.ts";
export { formatPoolSummary, type PoolStatsSnapshot } from "./stats.ts";
export { SyntheticJobSource, VRSC_CHAIN_ID, type SyntheticOptions, type SyntheticWork } from "./synthetic.ts";
export { JobTable } from "./jobs.ts";
export { DEFAULT_VARDIFF, type VardiffOptions } from "../protocol/vardiff.ts";

// index.ts — the bridge core's public surface: the contract, the core, its ledger and errors.

export * from "./contract.ts";
export { Bridge } from "./core.ts";
export { BridgeError, type BridgeErrorCode } from "./errors.ts";
export { Ledger, LEDGER_SCHEMA_VERSION, type PoolResultKind, type WorkerTotals } from "./ledger.ts";
export { resolveTuning, type BridgeCoreOptions, type Tuning } from "./options.ts";
export { formatBridgeSummary } from "./stats.ts";

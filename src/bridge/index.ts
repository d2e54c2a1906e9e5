// index.ts — the bridge core's public surface: the contract, the core and its errors (the ledger is src/ledger).

export * from "./contract.ts";
export { Bridge } from "./core.ts";
export { BridgeError, type BridgeErrorCode } from "./errors.ts";
export { resolveTuning, type BridgeCoreOptions, type Tuning } from "./options.ts";
export { formatBridgeSummary } from "./stats.ts";

// index.ts — the public surface of the sans-IO Stratum core (no sockets, no timers, no FFI).
// Layers above import from here; tests import the modules directly.

export * from "./errors.ts";
export * from "./hex.ts";
export * from "./framing.ts";
export * from "./jsonrpc.ts";
export * from "./notify.ts";
export * from "./pool-messages.ts";
export * from "./miner-messages.ts";
export * from "./results.ts";
export * from "./reject.ts";
export * from "./target.ts";
export * from "./layout.ts";
export * from "./pbaas.ts";
export * from "./job.ts";
export * from "./submit.ts";
export * from "./validate.ts";
export * from "./vardiff.ts";

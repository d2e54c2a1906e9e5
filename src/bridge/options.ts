// options.ts — what the core runs with: the validated Config (src/config) plus tuning knobs that
// are not user settings (test hooks, caps with reasoned defaults). Checked once, at start.

import type { Config } from "../config/index.ts";
import { vardiffOptionsProblem, type VardiffOptions } from "../protocol/index.ts";
import type { PoolOptions } from "../pool/index.ts";
import type { Logger, PoolClientOptions } from "../upstream/index.ts";
import type { MinerTransport } from "./contract.ts";
import { DEFAULT_MAX_SHARE_MEMORY } from "./duplicates.ts";
import { BridgeError } from "./errors.ts";
import { DEFAULT_HASHER_CONTEXTS } from "./hashers.ts";
import { DEFAULT_INVALID_WINDOW, type InvalidWindowOptions } from "./invalid-window.ts";
import type { Durability } from "./ledger.ts";

export interface Tuning {
  /** Sessions per upstream session; default 256^lease_bytes (every lease id). */
  maxSessionsPerUpstream: number;
  /** Upstream sessions at most; default enough for bridge.max_connections, 1..64. */
  maxUpstreams: number;
  /** Vardiff judges a window of this many share intervals (4: a few shares per judgement). */
  vardiffWindowIntervals: number;
  /** Vardiff tolerance around the goal, percent (the pools' 30). */
  vardiffVariancePercent: number;
  invalidWindow: InvalidWindowOptions;
  /** Share identities remembered per session (duplicates.ts). */
  maxShareMemory: number;
  /** Jobs of one upstream session kept valid (the pool client's own cap). */
  maxJobs: number;
  hasherContexts: number;
  /** Seconds between summary lines; null: none. */
  summaryIntervalSeconds: number | null;
  /** How long stop() waits for the pool's answers to forwarded shares. */
  drainTimeoutMs: number;
  ledgerSynchronous: Durability;
}

export interface BridgeCoreOptions {
  config: Readonly<Config>;
  log?: Logger;
  /** Milliseconds (vardiff, rate limits, stats, ledger times); default Date.now. */
  clock?: () => number;
  tuning?: Partial<Tuning>;
  /** Overrides for every PoolClient (tests: backoff, timeouts). */
  client?: Partial<PoolClientOptions>;
  /** Overrides for the built-in pool when upstream.pools has "builtin" (tests: seed, difficulty). */
  builtinPool?: Partial<PoolOptions>;
}

export function resolveTuning(config: Readonly<Config>, t: Partial<Tuning> = {}): Tuning {
  const b = config.bridge;
  const perUpstream = 256 ** b.lease_bytes;
  const r: Tuning = {
    maxSessionsPerUpstream: perUpstream,
    maxUpstreams: Math.min(64, Math.max(1, Math.ceil(b.max_connections / perUpstream))),
    vardiffWindowIntervals: 4,
    vardiffVariancePercent: 30,
    invalidWindow: DEFAULT_INVALID_WINDOW,
    maxShareMemory: DEFAULT_MAX_SHARE_MEMORY,
    maxJobs: 32,
    hasherContexts: DEFAULT_HASHER_CONTEXTS,
    summaryIntervalSeconds: 60,
    drainTimeoutMs: 5000,
    ledgerSynchronous: "FULL",
    ...t,
  };
  const whole = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new BridgeError("E_BRIDGE_OPTIONS", `${name} must be a whole number >= ${min}, got ${v}`);
  };
  whole("maxSessionsPerUpstream", r.maxSessionsPerUpstream, 1);
  whole("maxUpstreams", r.maxUpstreams, 1);
  whole("maxShareMemory", r.maxShareMemory, 1);
  whole("maxJobs", r.maxJobs, 1);
  whole("hasherContexts", r.hasherContexts, 1);
  if (b.min_difficulty > b.max_difficulty) {
    throw new BridgeError("E_BRIDGE_OPTIONS", `bridge.min_difficulty ${b.min_difficulty} is above bridge.max_difficulty ${b.max_difficulty}`);
  }
  for (const t of ["ws-msgpack", "stratum"] as const) {
    const problem = vardiffOptionsProblem(vardiffFor(config, r, t));
    if (problem !== null) throw new BridgeError("E_BRIDGE_OPTIONS", problem);
  }
  return r;
}

/** Starting difficulty and vardiff settings of a transport (ws_* for browsers, tcp_* for Stratum). */
export function vardiffFor(config: Readonly<Config>, t: Tuning, transport: MinerTransport): VardiffOptions & { start: number } {
  const b = config.bridge;
  const ws = transport !== "stratum";
  const interval = ws ? b.ws_share_interval : b.tcp_share_interval;
  return {
    start: ws ? b.ws_difficulty : b.tcp_difficulty,
    targetShareSeconds: interval,
    retargetSeconds: interval * t.vardiffWindowIntervals,
    variancePercent: t.vardiffVariancePercent,
    minDifficulty: b.min_difficulty,
    maxDifficulty: b.max_difficulty,
  };
}

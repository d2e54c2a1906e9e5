// options.ts — what the core runs with: its own settings (the composition root in src/cli/ maps the
// configuration onto them) plus tuning knobs that are not user settings (test hooks, caps with
// reasoned defaults). Checked once, at start.

import type { ImplChoice } from "../hash/index.ts";
import { vardiffOptionsProblem, type VardiffOptions } from "../protocol/index.ts";
import { JOBS_KEPT } from "../protocol/job-window.ts";
import type { PoolClientOptions } from "../upstream/index.ts";
import type { Logger } from "../util/log.ts";
import { inRange, rangePhrase, type Range } from "../util/range.ts";
import type { MinerTransport } from "./contract.ts";
import { DEFAULT_MAX_SHARE_MEMORY } from "./duplicates.ts";
import { BridgeError } from "./errors.ts";
import { DEFAULT_HASHER_CONTEXTS } from "./hashers.ts";
import { DEFAULT_INVALID_WINDOW, type InvalidWindowOptions } from "./invalid-window.ts";
import type { Durability } from "./ledger.ts";

export interface Tuning {
  /** Sessions per upstream session; default 256^leaseBytes (every lease id). */
  maxSessionsPerUpstream: number;
  /** Upstream sessions at most; default enough for maxConnections, 1..64. */
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

/** A transport's starting share difficulty and its vardiff goal. */
export interface TransportDifficulty {
  start: number;
  shareSeconds: number;
}

export interface BridgeCoreOptions {
  /** Every upstream session's pool client: pools, user, TLS (tests: backoff, timeouts). */
  client: PoolClientOptions;
  impl: ImplChoice;
  /** SQLite share ledger; "" keeps it in memory. */
  ledgerPath: string;
  /** Bytes added to the pool's extranonce1 per miner session. */
  leaseBytes: number;
  /** Per-miner difficulty: browsers (both WebSocket dialects), Stratum TCP miners, and the bounds. */
  difficulty: { ws: TransportDifficulty; stratum: TransportDifficulty; min: number; max: number };
  maxSharesPerSecond: number;
  /** Miner connections in total: sizes the default number of upstream sessions. */
  maxConnections: number;
  log?: Logger;
  /** Milliseconds (vardiff, rate limits, stats, ledger times); default Date.now. */
  clock?: () => number;
  tuning?: Partial<Tuning>;
}

export function resolveTuning(o: BridgeCoreOptions, t: Partial<Tuning> = {}): Tuning {
  const perUpstream = 256 ** o.leaseBytes;
  const r: Tuning = {
    maxSessionsPerUpstream: perUpstream,
    maxUpstreams: Math.min(64, Math.max(1, Math.ceil(o.maxConnections / perUpstream))),
    vardiffWindowIntervals: 4,
    vardiffVariancePercent: 30,
    invalidWindow: DEFAULT_INVALID_WINDOW,
    maxShareMemory: DEFAULT_MAX_SHARE_MEMORY,
    maxJobs: JOBS_KEPT,
    hasherContexts: DEFAULT_HASHER_CONTEXTS,
    summaryIntervalSeconds: 60,
    drainTimeoutMs: 5000,
    ledgerSynchronous: "FULL",
    ...t,
  };
  const whole = (name: string, v: number, min: number) => {
    const range: Range = { whole: true, min, max: Infinity };
    if (!inRange(v, range))
      throw new BridgeError("E_BRIDGE_OPTIONS", `${name} must be ${rangePhrase(range)}, got ${v}`);
  };
  whole("maxSessionsPerUpstream", r.maxSessionsPerUpstream, 1);
  whole("maxUpstreams", r.maxUpstreams, 1);
  whole("maxShareMemory", r.maxShareMemory, 1);
  whole("maxJobs", r.maxJobs, 1);
  whole("hasherContexts", r.hasherContexts, 1);
  const d = o.difficulty;
  if (d.min > d.max) {
    throw new BridgeError(
      "E_BRIDGE_OPTIONS",
      `bridge.min_difficulty ${d.min} is above bridge.max_difficulty ${d.max}`,
    );
  }
  for (const t of ["ws-msgpack", "stratum"] as const) {
    const problem = vardiffOptionsProblem(vardiffFor(o, r, t));
    if (problem !== null) throw new BridgeError("E_BRIDGE_OPTIONS", problem);
  }
  return r;
}

/** Starting difficulty and vardiff settings of a transport (ws for browsers, stratum for TCP miners). */
export function vardiffFor(
  o: BridgeCoreOptions,
  t: Tuning,
  transport: MinerTransport,
): VardiffOptions & { start: number } {
  const d = transport === "stratum" ? o.difficulty.stratum : o.difficulty.ws;
  return {
    start: d.start,
    targetShareSeconds: d.shareSeconds,
    retargetSeconds: d.shareSeconds * t.vardiffWindowIntervals,
    variancePercent: t.vardiffVariancePercent,
    minDifficulty: o.difficulty.min,
    maxDifficulty: o.difficulty.max,
  };
}

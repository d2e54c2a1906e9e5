// options.ts — what the core runs with: its own settings (the composition root in src/cli/ maps the
// configuration onto them) plus tuning knobs that are not user settings (test hooks, caps with
// reasoned defaults). Checked once, at start.

import type { ImplChoice } from "../hash/index.ts";
import { vardiffOptionsProblem, type VardiffOptions } from "../protocol/index.ts";
import type { PoolClientOptions } from "../upstream/index.ts";
import type { Logger } from "../util/log.ts";
import { checkRange } from "../util/range.ts";
import type { EventSink, MinerTransport } from "./contract.ts";
import { BridgeError } from "./errors.ts";
import { HEARTBEAT_MS } from "./fleet.ts";

export interface Tuning {
  /** Sessions per upstream session; default 256^leaseBytes (every lease id). */
  maxSessionsPerUpstream: number;
  /** Upstream sessions at most; default enough for maxConnections, 1..64. */
  maxUpstreams: number;
  /** Seconds between summary lines; null: none. */
  summaryIntervalSeconds: number | null;
  /** Milliseconds between vardiff looks at sessions between jobs; null: none (tests call tick()). */
  tickIntervalMs: number | null;
  /** Milliseconds between fleet heartbeats into the ledger's database (fleet.ts). */
  heartbeatMs: number;
}

/** Vardiff judges a window of this many share intervals (4: a few shares per judgement). */
const VARDIFF_WINDOW_INTERVALS = 4;
/** Vardiff tolerance around the goal, percent (the pools' 30). */
const VARDIFF_VARIANCE_PERCENT = 30;

/** A transport's starting share difficulty and its vardiff goal. */
export interface TransportDifficulty {
  start: number;
  shareSeconds: number;
}

export interface BridgeCoreOptions {
  /** Every upstream session's pool client: pools, user, TLS (tests: backoff, timeouts). */
  client: PoolClientOptions;
  impl: ImplChoice;
  /** The share ledger: a SQLite file, "" (in memory) or a postgres:// URL (src/ledger). */
  ledgerPath: string;
  /** Where share verdicts, pool results, blocks and upstream changes go (src/events); default none. */
  events?: EventSink;
  /** This bridge in the fleet view (fleet.ts); default host:pid. */
  fleetId?: string;
  /** The ledger's queue bound and history retention (src/ledger defaults when absent). */
  ledger?: { maxQueued?: number; retentionDays?: number };
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

export function resolveTuning(o: BridgeCoreOptions): Tuning {
  const perUpstream = 256 ** o.leaseBytes;
  const r: Tuning = {
    maxSessionsPerUpstream: perUpstream,
    maxUpstreams: Math.min(64, Math.max(1, Math.ceil(o.maxConnections / perUpstream))),
    summaryIntervalSeconds: 60,
    tickIntervalMs: 1000,
    heartbeatMs: HEARTBEAT_MS,
    ...o.tuning,
  };
  for (const name of ["maxSessionsPerUpstream", "maxUpstreams"] as const)
    checkRange(name, r[name], { whole: true, min: 1, max: Infinity }, bad);
  return r;
}

export type TransportVardiff = VardiffOptions & { start: number };

/**
 * Starting difficulty and vardiff settings per transport (ws for both browser dialects, stratum
 * for TCP miners), checked; every session of a transport shares its (immutable) settings.
 */
export function vardiffByTransport(o: BridgeCoreOptions): Record<MinerTransport, TransportVardiff> {
  const { min, max } = o.difficulty;
  if (min > max) bad(`bridge.min_difficulty ${min} is above bridge.max_difficulty ${max}`);
  const of = (d: TransportDifficulty): TransportVardiff => {
    const v = {
      start: d.start,
      targetShareSeconds: d.shareSeconds,
      retargetSeconds: d.shareSeconds * VARDIFF_WINDOW_INTERVALS,
      variancePercent: VARDIFF_VARIANCE_PERCENT,
      minDifficulty: min,
      maxDifficulty: max,
    };
    const problem = vardiffOptionsProblem(v);
    if (problem !== null) bad(problem);
    return v;
  };
  const ws = of(o.difficulty.ws);
  return { "ws-msgpack": ws, "ws-json": ws, stratum: of(o.difficulty.stratum) };
}

function bad(why: string): never {
  throw new BridgeError("E_BRIDGE_OPTIONS", why);
}

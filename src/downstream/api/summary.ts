// summary.ts — GET /api/v1/summary (and every /api/v1/live event): the bridge at a glance, shaped
// after xmrig-proxy's /1/summary. Pure: the caller gathers the inputs (core, ledger history, alerts).
// Hashrates in H/s as [1m, 10m, 1h, 12h, 24h]: 1m and 10m from the core's in-memory windows (every
// verdict, not yet committed ones too), 1h..24h from the ledger's history. No client addresses.

import type { BridgeStats, MinerInfo, MinerTransport, UpstreamInfo } from "../../bridge/contract.ts";
import type { HistoryRow } from "../../ledger/index.ts";
import { longRates } from "./rates.ts";

/** Alerts shown in the summary. */
export const SUMMARY_ALERTS = 10;

export interface SummaryInput {
  version: string;
  now: number;
  stats: BridgeStats;
  /** Bridge-wide invalid count and 1-minute hashrate (core.tallies()); null: unknown (0). */
  tallies: { invalid: number; hashrate1m: number } | null;
  miners: readonly MinerInfo[];
  upstreams: readonly UpstreamInfo[];
  /** The last 24 h of the ledger (every worker), or null without a ledger. */
  history: readonly HistoryRow[] | null;
  /** Recent alerts, oldest first (the alerts module's recent()). */
  alerts: readonly unknown[];
}

export interface Summary {
  version: string;
  /** Seconds since the bridge started (as xmrig-proxy's). */
  uptime: number;
  workers: { total: number; online: number };
  miners: { total: number; byTransport: Record<MinerTransport, number>; byAgent: Record<string, number> };
  hashrate: { total: number[] };
  results: {
    accepted: number;
    rejected: number;
    invalid: number;
    stale: number;
    byCode: Record<string, number>;
    /** Seconds between accepted shares on average; null before one. */
    avgTime: number | null;
    /** Mean of the upstreams' last pool round trips, ms; null before a forwarded share is answered. */
    latency: number | null;
  };
  pool: BridgeStats["pool"];
  upstreams: { total: number; active: number };
  blocks: { found: number; accepted: number };
  ledger: { kind: string; queued: number; failing: boolean } | null;
  alerts: unknown[];
}

/** An upstream session a miner can be given work by now. */
export function upstreamActive(u: Pick<UpstreamInfo, "state" | "extranonce1" | "lastJobAt">): boolean {
  return u.extranonce1 !== null && (u.state === "subscribed" || u.state === "authorized");
}

/** A user agent as a chart label: its name before the version ("ccminer/3.8.3" → "ccminer"), bounded. */
export function agentName(agent: string | null): string {
  if (agent === null || agent.trim() === "") return "unknown";
  return agent.trim().split(/[\s/]/)[0]!.slice(0, 32) || "unknown";
}

export function buildSummary(i: SummaryInput): Summary {
  const s = i.stats;
  const byTransport = { ...s.sessions };
  const byAgent: Record<string, number> = {};
  const online = new Set<string>();
  for (const m of i.miners) {
    const a = agentName(m.agent);
    byAgent[a] = (byAgent[a] ?? 0) + 1;
    if (m.worker !== null) online.add(m.worker);
  }
  const seen = new Set(online);
  for (const r of i.history ?? []) seen.add(r.worker);
  const long = i.history === null ? [0, 0, 0, 0] : longRates(i.history, i.now);
  // The 10-minute column: the core's own window (it also holds what the ledger has not committed).
  long[0] = s.hashrate;
  const latencies = i.upstreams.map((u) => u.latencyMs).filter((l) => l !== null);
  const ledger = (s as { ledger?: BridgeStats["ledger"] }).ledger;
  return {
    version: i.version,
    uptime: Math.round(s.uptimeSeconds),
    workers: { total: seen.size, online: online.size },
    miners: { total: i.miners.length, byTransport, byAgent },
    hashrate: { total: [i.tallies?.hashrate1m ?? 0, ...long] },
    results: {
      accepted: s.shares.accepted,
      rejected: s.shares.rejected,
      invalid: i.tallies?.invalid ?? 0,
      stale: s.shares.stale,
      byCode: { ...s.shares.rejectedByCode },
      avgTime: s.shares.accepted > 0 ? s.uptimeSeconds / s.shares.accepted : null,
      latency: latencies.length > 0 ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null,
    },
    pool: { ...s.pool },
    upstreams: { total: i.upstreams.length, active: i.upstreams.filter(upstreamActive).length },
    blocks: { ...(s.blocks ?? { found: 0, accepted: 0 }) },
    ledger:
      ledger === undefined ? null : { kind: ledger.kind, queued: ledger.queued, failing: ledger.failing },
    alerts: i.alerts.slice(-SUMMARY_ALERTS),
  };
}

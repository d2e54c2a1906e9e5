// queries.ts — the reads both backends run (the same SQL: `$n` parameters, which sqlite.ts turns
// into SQLite's `?n`), and the mapping of their rows to the caller's types. PostgreSQL returns int8
// and sums as strings, SQLite as numbers: every number goes through Number() here.

import type { BlockRow, BridgeBeat, HistoryQuery, HistoryRow, WorkerTotals } from "./store.ts";

const TOTALS_COLUMNS =
  "SELECT worker, sum(accepted) AS accepted, sum(accepted_difficulty) AS accepted_difficulty, sum(rejected) AS rejected, " +
  "sum(pool_accepted) AS pool_accepted, sum(pool_rejected) AS pool_rejected, sum(pool_stale) AS pool_stale, " +
  "sum(pool_lost) AS pool_lost, min(first_at) AS first_seen, max(last_share) AS last_share FROM history";

export const SQL_TOTALS = `${TOTALS_COLUMNS} GROUP BY worker ORDER BY worker`;
export const SQL_WORKER_TOTALS = `${TOTALS_COLUMNS} WHERE worker = $1 GROUP BY worker`;

const HISTORY_COLUMNS =
  "SELECT worker, minute, accepted, accepted_difficulty, rejected, pool_accepted, pool_rejected, pool_stale, pool_lost FROM history";
export const SQL_HISTORY = `${HISTORY_COLUMNS} WHERE minute >= $1 AND minute < $2 ORDER BY worker, minute`;
export const SQL_HISTORY_WORKER = `${HISTORY_COLUMNS} WHERE minute >= $1 AND minute < $2 AND worker = $3 ORDER BY minute`;
export const SQL_REJECTS =
  "SELECT worker, minute, code, count FROM rejects WHERE minute >= $1 AND minute < $2";
export const SQL_REJECTS_WORKER = `${SQL_REJECTS} AND worker = $3`;
export const SQL_BLOCKS =
  "SELECT at, worker, height, hash, result FROM blocks WHERE at >= $1 AND at < $2 ORDER BY at, hash";
export const SQL_FLEET =
  "SELECT id, host, pid, started_at, seen_at, stats FROM bridges WHERE seen_at >= $1 ORDER BY id";

type Row = Record<string, unknown>;
const n = (v: unknown): number => Number(v);

export function toTotals(r: Row): WorkerTotals {
  return {
    worker: String(r.worker),
    accepted: n(r.accepted),
    acceptedDifficulty: n(r.accepted_difficulty),
    rejected: n(r.rejected),
    poolAccepted: n(r.pool_accepted),
    poolRejected: n(r.pool_rejected),
    poolStale: n(r.pool_stale),
    poolLost: n(r.pool_lost),
    firstSeen: n(r.first_seen),
    lastShare: r.last_share === null || r.last_share === undefined ? null : n(r.last_share),
  };
}

/** History rows with their rejects per code merged in. */
export function toHistory(rows: readonly Row[], rejects: readonly Row[]): HistoryRow[] {
  const byBucket = new Map<string, Record<string, number>>();
  for (const r of rejects) {
    const k = `${n(r.minute)}\u0000${String(r.worker)}`;
    const codes = byBucket.get(k) ?? {};
    codes[String(r.code)] = n(r.count);
    byBucket.set(k, codes);
  }
  return rows.map((r) => ({
    worker: String(r.worker),
    minute: n(r.minute),
    accepted: n(r.accepted),
    acceptedDifficulty: n(r.accepted_difficulty),
    rejected: n(r.rejected),
    rejectedByCode: byBucket.get(`${n(r.minute)}\u0000${String(r.worker)}`) ?? {},
    poolAccepted: n(r.pool_accepted),
    poolRejected: n(r.pool_rejected),
    poolStale: n(r.pool_stale),
    poolLost: n(r.pool_lost),
  }));
}

export function historyParams(q: HistoryQuery): unknown[] {
  return q.worker === undefined ? [q.from, q.to] : [q.from, q.to, q.worker];
}

export function toBlock(r: Row): BlockRow {
  return {
    at: n(r.at),
    worker: String(r.worker),
    height: r.height === null || r.height === undefined ? null : n(r.height),
    hash: String(r.hash),
    result: String(r.result),
  };
}

export function toBeat(r: Row): BridgeBeat {
  return {
    id: String(r.id),
    host: String(r.host),
    pid: n(r.pid),
    startedAt: n(r.started_at),
    seenAt: n(r.seen_at),
    stats: typeof r.stats === "string" ? JSON.parse(r.stats) : r.stats,
  };
}

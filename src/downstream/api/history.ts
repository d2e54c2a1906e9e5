// history.ts — GET /api/v1/history?range=1h|24h[&worker=W]: per-minute points for the charts,
// zero-filled (every minute of the range has a point, whether the ledger has a row or not), the
// total and per worker. Pure. At most MAX_WORKERS workers are listed (the most credited first),
// so a bridge with thousands of workers answers in bounded size; `workersOmitted` says how many not.

import type { HistoryRow } from "../../ledger/index.ts";
import { byWorker, MINUTE_MS, rateOf, staleOf, windowEnd } from "./rates.ts";

export const RANGES = { "1h": 60, "24h": 1440 } as const;
export type HistoryRange = keyof typeof RANGES;
export const MAX_WORKERS = 50;

export interface Point {
  /** Unix ms: the start of the minute. */
  t: number;
  /** H/s over the minute. */
  hashrate: number;
  accepted: number;
  rejected: number;
  stale: number;
}

export interface TotalPoint extends Point {
  /** Rejects by code in the minute. */
  byCode: Record<string, number>;
}

export interface HistoryView {
  step: number;
  from: number;
  to: number;
  total: TotalPoint[];
  workers: Record<string, Point[]>;
  workersOmitted: number;
}

/** The range's bounds: whole minutes, ending with the current one. */
export function historyBounds(range: HistoryRange, now: number): { from: number; to: number } {
  const to = windowEnd(now);
  return { from: to - RANGES[range] * MINUTE_MS, to };
}

function empty(from: number, to: number): TotalPoint[] {
  const out: TotalPoint[] = [];
  for (let t = from; t < to; t += MINUTE_MS)
    out.push({ t, hashrate: 0, accepted: 0, rejected: 0, stale: 0, byCode: {} });
  return out;
}

function add(p: Point, r: HistoryRow, difficulty: number[], i: number): void {
  p.accepted += r.accepted;
  p.rejected += r.rejected;
  p.stale += staleOf(r);
  difficulty[i]! += r.acceptedDifficulty;
}

/** `rows`: the ledger's rows of [from, to) (one worker's when `worker` was asked). */
export function buildHistory(rows: readonly HistoryRow[], from: number, to: number): HistoryView {
  const total = empty(from, to);
  const diff = total.map(() => 0);
  const index = (minute: number) => Math.floor((minute - from) / MINUTE_MS);
  for (const r of rows) {
    const i = index(r.minute);
    if (i < 0 || i >= total.length) continue;
    const p = total[i]!;
    add(p, r, diff, i);
    for (const [code, n] of Object.entries(r.rejectedByCode)) p.byCode[code] = (p.byCode[code] ?? 0) + n;
  }
  total.forEach((p, i) => (p.hashrate = rateOf(diff[i]!, 1)));
  const grouped = [...byWorker(rows)].map(([name, list]) => ({
    name,
    list,
    credited: list.reduce((a, r) => a + r.acceptedDifficulty, 0),
  }));
  grouped.sort((a, b) => b.credited - a.credited || (a.name < b.name ? -1 : 1));
  const workers: Record<string, Point[]> = {};
  for (const g of grouped.slice(0, MAX_WORKERS)) {
    const points: Point[] = empty(from, to).map(({ byCode: _, ...p }) => p);
    const d = points.map(() => 0);
    for (const r of g.list) {
      const i = index(r.minute);
      if (i >= 0 && i < points.length) add(points[i]!, r, d, i);
    }
    points.forEach((p, i) => (p.hashrate = rateOf(d[i]!, 1)));
    workers[g.name] = points;
  }
  return {
    step: MINUTE_MS,
    from,
    to,
    total,
    workers,
    workersOmitted: Math.max(0, grouped.length - MAX_WORKERS),
  };
}

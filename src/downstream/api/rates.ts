// rates.ts — hashrates and counts from the ledger's per-minute history (HistoryRow), the windows of
// xmrig-proxy's columns (1m, 10m, 1h, 12h, 24h). Pure: rows and times in, numbers out.
//
// A share at difficulty d stands for d · 2^13 hashes (protocol/hashrate.ts); a window's hashrate
// is its credited difficulty × 2^13 over the window's length. "stale" from the ledger is the count
// of reject code 21 (job not found: dead work); "invalid" is the rest of the rejects.

import type { HistoryRow } from "../../ledger/index.ts";
import { HASHES_PER_DIFFICULTY } from "../../protocol/hashrate.ts";

export const MINUTE_MS = 60_000;
/** The windows after the 1-minute one, in minutes: 10m, 1h, 12h, 24h. */
export const LONG_WINDOWS = [10, 60, 720, 1440] as const;
/** The longest window: what the history cache holds. */
export const DAY_MINUTES = 1440;

export const minuteOf = (t: number) => Math.floor(t / MINUTE_MS) * MINUTE_MS;

/** The end (exclusive) of the minute holding `now`: windows end there, the current minute included. */
export const windowEnd = (now: number) => minuteOf(now) + MINUTE_MS;

export const staleOf = (r: Pick<HistoryRow, "rejectedByCode">) => r.rejectedByCode["21"] ?? 0;

/** H/s of `difficulty` credited over `minutes`. */
export function rateOf(difficulty: number, minutes: number): number {
  return (difficulty * HASHES_PER_DIFFICULTY) / (minutes * 60);
}

/** The 10m, 1h, 12h and 24h hashrates of `rows` (already one worker's, or all of them). */
export function longRates(rows: readonly HistoryRow[], now: number): number[] {
  const end = windowEnd(now);
  const sums = LONG_WINDOWS.map(() => 0);
  for (const r of rows)
    LONG_WINDOWS.forEach((m, i) => {
      if (r.minute >= end - m * MINUTE_MS && r.minute < end) sums[i]! += r.acceptedDifficulty;
    });
  return LONG_WINDOWS.map((m, i) => rateOf(sums[i]!, m));
}

/** Rows grouped by worker. */
export function byWorker(rows: readonly HistoryRow[]): Map<string, HistoryRow[]> {
  const m = new Map<string, HistoryRow[]>();
  for (const r of rows) {
    const list = m.get(r.worker);
    if (list === undefined) m.set(r.worker, [r]);
    else list.push(r);
  }
  return m;
}

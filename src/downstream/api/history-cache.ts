// history-cache.ts — the last 24 hours of the ledger's per-minute history, read at most once per
// `ttlMs` whatever the number of API requests and live streams (one read in flight at a time), so
// the dashboard polling and every SSE tick cost the database one query per TTL.

import type { HistoryRow, Ledger } from "../../ledger/index.ts";
import { DAY_MINUTES, MINUTE_MS, windowEnd } from "./rates.ts";

export const HISTORY_TTL_MS = 10_000;

export class HistoryCache {
  readonly #ledger: Pick<Ledger, "history">;
  readonly #now: () => number;
  readonly #ttlMs: number;
  #rows: HistoryRow[] = [];
  #readAt = -Infinity;
  #flight: Promise<HistoryRow[]> | null = null;

  constructor(ledger: Pick<Ledger, "history">, now: () => number, ttlMs = HISTORY_TTL_MS) {
    this.#ledger = ledger;
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /** Every worker's minutes of the last 24 h (a failed read rejects with the ledger's coded error). */
  rows(): Promise<HistoryRow[]> {
    const now = this.#now();
    if (now - this.#readAt < this.#ttlMs) return Promise.resolve(this.#rows);
    this.#flight ??= (async () => {
      try {
        const to = windowEnd(now);
        const rows = await this.#ledger.history({ from: to - DAY_MINUTES * MINUTE_MS, to });
        this.#rows = rows;
        this.#readAt = now;
        return rows;
      } finally {
        this.#flight = null;
      }
    })();
    return this.#flight;
  }

  /** Forget what was read (a test that just committed shares wants them). */
  invalidate(): void {
    this.#readAt = -Infinity;
  }
}

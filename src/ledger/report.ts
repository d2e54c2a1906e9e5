// report.ts — the payout report (issue 14): what each worker earned over a time range, read from
// the ledger's per-minute history, so an operator can pay proportionally (docs/payouts.md). The
// same minutes Ledger.history returns for [from, to) are summed, nothing else: the report's totals
// are the history's totals. The range works on whole minutes (a minute counts when it starts at or
// after `from` and before `to`), so bounds on minute boundaries mean exactly what they say.

import type { Ledger } from "./ledger.ts";

export interface PayoutRow {
  worker: string;
  /** Sum of the credited difficulty of the worker's accepted shares: what a payout is proportional to. */
  creditedDifficulty: number;
  /** creditedDifficulty / the total (0 … 1; 0 when nobody has any). */
  share: number;
  /** Shares the bridge accepted (and credited). */
  accepted: number;
  /** Shares the bridge rejected. */
  rejected: number;
  /** Forwarded shares the pool accepted. */
  poolAccepted: number;
}

export interface PayoutReport {
  /** Unix ms, inclusive. */
  from: number;
  /** Unix ms, exclusive. */
  to: number;
  /** Every worker with a counted event in the range: the largest credited difficulty first. */
  workers: PayoutRow[];
  totals: Omit<PayoutRow, "worker" | "share"> & { workers: number };
}

/** The report over [from, to) (unix ms). RangeError on a range that is not one. */
export async function payoutReport(ledger: Ledger, from: number, to: number): Promise<PayoutReport> {
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
    throw new RangeError(`a report needs from < to (got ${from} … ${to})`);
  }
  const byWorker = new Map<string, PayoutRow>();
  for (const h of await ledger.history({ from, to })) {
    let row = byWorker.get(h.worker);
    if (row === undefined) {
      row = { worker: h.worker, creditedDifficulty: 0, share: 0, accepted: 0, rejected: 0, poolAccepted: 0 };
      byWorker.set(h.worker, row);
    }
    row.creditedDifficulty += h.acceptedDifficulty;
    row.accepted += h.accepted;
    row.rejected += h.rejected;
    row.poolAccepted += h.poolAccepted;
  }
  const workers = [...byWorker.values()].sort(
    (a, b) => b.creditedDifficulty - a.creditedDifficulty || (a.worker < b.worker ? -1 : 1),
  );
  const totals = {
    workers: workers.length,
    creditedDifficulty: 0,
    accepted: 0,
    rejected: 0,
    poolAccepted: 0,
  };
  for (const w of workers) {
    totals.creditedDifficulty += w.creditedDifficulty;
    totals.accepted += w.accepted;
    totals.rejected += w.rejected;
    totals.poolAccepted += w.poolAccepted;
  }
  for (const w of workers) {
    w.share = totals.creditedDifficulty > 0 ? w.creditedDifficulty / totals.creditedDifficulty : 0;
  }
  return { from, to, workers, totals };
}

export const CSV_HEADER = ["worker", "credited_difficulty", "share", "accepted", "rejected", "pool_accepted"];

/**
 * The report as CSV (RFC 4180: CRLF line ends, a header row, a field with a comma, a quote or a
 * line break quoted, quotes doubled). One row per worker, no totals row: every row is a worker.
 * Worker names are the miners' own text and are written as they are: a spreadsheet user should
 * import the file as text (a name starting with `=` is a formula to a careless spreadsheet).
 */
export function formatCsv(r: PayoutReport): string {
  const rows = [
    CSV_HEADER,
    ...r.workers.map((w) => [
      w.worker,
      w.creditedDifficulty,
      w.share,
      w.accepted,
      w.rejected,
      w.poolAccepted,
    ]),
  ];
  return rows.map((row) => row.map((v) => csvField(String(v))).join(",") + "\r\n").join("");
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

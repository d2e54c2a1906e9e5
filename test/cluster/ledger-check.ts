// ledger-check.ts — accepted shares per miner worker name in a SQLite ledger file, read-only after
// the bridge stopped. The one place the cluster tests know the ledger's schema: v2 has a `shares`
// table (one row per credited share, keyed for idempotency), v1 a `workers` table of totals.

import { Database } from "bun:sqlite";

export function acceptedByWorker(path: string): Map<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    const v2 =
      db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shares'").get() !== null;
    const sql = v2
      ? "SELECT worker, COUNT(*) AS n FROM shares GROUP BY worker"
      : "SELECT worker, accepted AS n FROM workers WHERE accepted > 0";
    const rows = db.query(sql).all() as { worker: string; n: number }[];
    return new Map(rows.map((r) => [r.worker, r.n]));
  } finally {
    db.close();
  }
}

// index.ts — the share ledger (issue 12): one front (ledger.ts) over two backends, embedded SQLite
// (sqlite.ts) and PostgreSQL (postgres.ts). Callers import from here.

export { Ledger, type LedgerCounters, type LedgerOptions } from "./ledger.ts";
export type { Done } from "./batch.ts";
export { LedgerError, type LedgerErrorCode } from "./errors.ts";
export { SCHEMA_VERSION as LEDGER_SCHEMA_VERSION } from "./schema-sqlite.ts";
export type {
  BlockRecord,
  BlockRow,
  BridgeBeat,
  Credit,
  HistoryQuery,
  HistoryRow,
  PoolResultKind,
  WorkerTotals,
} from "./store.ts";
